"""Writes layouts/dates.yaml: how each language that has layout words writes a date, from CLDR.

Run by hand when a language is added to layouts/strings.yaml (booklet itself does not need Babel):

    python3 -m venv /tmp/babel && /tmp/babel/bin/pip install babel pyyaml
    /tmp/babel/bin/python tests/data/make_dates.py
    python -m booklet.theme   # then layouts/parsed.json, which builds read instead of the YAML

For each language: CLDR's long date pattern in booklet's own placeholders ({day}, {month}, {year}) and the
twelve month names in their "format" (in-a-date) form, which is the genitive in Russian, Polish, Greek and
others. Gregorian calendar, Western digits (what a clinic's other letters use).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from babel import Locale
from babel import __version__ as babel_version
from babel.core import get_cldr_version

ROOT = Path(__file__).resolve().parents[2]
_TOKEN = re.compile(r"'([^']*)'|(d+|M+|L+|y+|G+|E+|\s+|[^\w']+)")


def pattern(cldr: str) -> str:
    out = []
    pos = 0
    while pos < len(cldr):
        m = _TOKEN.match(cldr, pos)
        if not m:
            out.append(cldr[pos])
            pos += 1
            continue
        pos = m.end()
        if m.group(1) is not None:
            out.append(m.group(1) or "'")
            continue
        tok = m.group(2)
        if tok[0] == "d":
            out.append("{day}" if len(tok) == 1 else "{day2}")
        elif tok[0] in "ML":
            out.append("{month}" if len(tok) >= 3 else ("{m}" if len(tok) == 1 else "{m2}"))
        elif tok[0] == "y":
            out.append("{year}")
        elif tok[0] in "GE":
            raise ValueError(f"unexpected field {tok!r} in {cldr!r}")
        else:
            out.append(tok)
    return "".join(out).strip()


def main() -> None:
    languages = list(yaml.safe_load((ROOT / "layouts" / "strings.yaml").read_text(encoding="utf-8")))
    out: dict[str, dict[str, object]] = {}
    # English as written in the UK ("17 May 2026"), where most of booklet's clinics are; en-US as in the US.
    for tag in [*languages, "en-US"]:
        locale = Locale.parse({"en": "en_GB"}.get(tag, tag.replace("-", "_")))
        fmt = locale.date_formats["long"].pattern
        months = locale.months["format"]["wide"]
        out[tag] = {"pattern": pattern(fmt), "months": [months[i] for i in range(1, 13)]}
    header = (f"# How each language writes a date (CLDR {get_cldr_version()}, Babel {babel_version}): the long date\n"
              "# pattern and the month names as used in a date. Written by tests/data/make_dates.py; edit there.\n")
    text = yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=200, default_flow_style=None)
    (ROOT / "layouts" / "dates.yaml").write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    main()
