"""A visual reference for the community-language handouts (issue #13): the same text set by Typst (PyPI
`typst`), in the same fonts (booklet's Noto faces, the faces booklet makes from the `cjk` extra, DejaVu Sans for
Latin), on booklet's A5 page with its margins and 12 pt body, right to left where the language is, so that
shaping, word order, phone numbers and line breaks can be compared line by line.

    python -m venv /tmp/typst-env && /tmp/typst-env/bin/pip install typst
    python benchmarks/typst_reference.py --typst-python /tmp/typst-env/bin/python OUT_FOLDER [LANG ...]

writes OUT_FOLDER/LANG-typst.pdf and OUT_FOLDER/LANG-booklet.pdf for ar, ur, fa, he, bn, hi, pa, gu, ta,
zh-Hans, zh-Hant, ja and ko (booklet's built from tests/data/{rtl,indic,cjk}/LANG.yaml with the Riverside
clinic). Typst is not one of booklet's dependencies: it runs in its own environment.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: language: (folder in tests/data, Typst's lang, region, the script's font family, CJK face or None, right to left)
LANGUAGES = {
    "ar": ("rtl", "ar", None, "Noto Naskh Arabic", None, True),
    "ur": ("rtl", "ur", None, "Noto Naskh Arabic", None, True),
    "fa": ("rtl", "fa", None, "Noto Naskh Arabic", None, True),
    "he": ("rtl", "he", None, "Noto Sans Hebrew", None, True),
    "bn": ("indic", "bn", None, "Noto Sans Bengali", None, False),
    "hi": ("indic", "hi", None, "Noto Sans Devanagari", None, False),
    "pa": ("indic", "pa", None, "Noto Sans Gurmukhi", None, False),
    "gu": ("indic", "gu", None, "Noto Sans Gujarati", None, False),
    "ta": ("indic", "ta", None, "Noto Sans Tamil", None, False),
    "zh-Hans": ("cjk", "zh", "CN", "Noto Sans SC", "SC", False),
    "zh-Hant": ("cjk", "zh", "TW", "Noto Sans TC", "TC", False),
    "ja": ("cjk", "ja", None, "Noto Sans JP", "JP", False),
    "ko": ("cjk", "ko", None, "Noto Sans KR", "KR", False),
}


def _s(text: str) -> str:
    """Typst markup for a text (its **bold** in strong)."""
    parts = [f"#strong({json.dumps(p, ensure_ascii=False)})" if i % 2 else f"#{json.dumps(p, ensure_ascii=False)}"
             for i, p in enumerate(text.split("**")) if p]
    return "".join(parts)


def typst_source(language: str) -> str:
    folder, lang, region, family, _, rtl = LANGUAGES[language]
    d = yaml.safe_load((ROOT / "tests" / "data" / folder / f"{language}.yaml").read_text(encoding="utf-8"))
    region_arg = f', region: "{region}"' if region else ""
    region_arg += ", dir: rtl" if rtl else ""
    lines = [
        '#set page(width: 148mm, height: 210mm, margin: (top: 13mm, bottom: 17mm, inside: 13mm, outside: 12mm))',
        f'#set text(font: ("DejaVu Sans", "{family}"), size: 12pt, lang: "{lang}"{region_arg})',
        "#set par(leading: 0.6em)",
        f'#text(size: 27pt, weight: "bold", fill: rgb("#1f4e79"))[{_s(d["title"])}]',
        f"#text(size: 15pt)[{_s(d['subtitle'])}]",
        f"#text(size: 11pt)[{_s(d['audience'])}]",
        "",
    ]
    lines += [f"- {_s(item)}" for item in d["summary"]]
    for section in d["sections"]:
        lines.append(f'#text(size: 18pt, weight: "bold", fill: rgb("#1f4e79"))[{_s(section["heading"])}]')
        lines.append("")
        for block in section["body"]:
            if isinstance(block, str):
                lines += [_s(block), ""]
            elif "bullets" in block:
                lines += [f"- {_s(item)}" for item in block["bullets"]] + [""]
            elif "table" in block:
                t = block["table"]
                cells = [f'text(weight: "bold")[{_s(c)}]' for c in t["columns"]]
                cells += [f"[{_s(c)}]" for row in t["rows"] for c in row]
                lines.append(f"#table(columns: {len(t['columns'])}, " + ", ".join(cells) + ")")
            elif "callout" in block:
                c = block["callout"]
                body = "".join(f"\n- {_s(b)}" for b in c.get("bullets", []))
                lines.append(f'#block(fill: rgb("#f6e6e6"), inset: 6pt, stroke: (left: 2pt + rgb("#b22222")))['
                             f'#text(weight: "bold", fill: rgb("#b22222"))[{_s(c["title"])}]\\ {_s(c["text"])}'
                             f"{body}\n]")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("languages", nargs="*", default=list(LANGUAGES), help="default: all of them")
    parser.add_argument("--typst-python", default="python3", help="a Python with the `typst` package")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from booklet import api, cjk
    from booklet.fonts import FONT_DIR

    clinic = ROOT / "content" / "clinics" / "riverside" / "clinic.yaml"
    for language in args.languages:
        data, _, _, _, face, _ = LANGUAGES[language]
        folder = args.out / f"fonts-{face or 'none'}"  # this language's CJK faces only: not another's Han
        folder.mkdir(exist_ok=True)
        for bold in (False, True) if face else ():
            path = Path(cjk.font_file(face, bold))
            (folder / path.name).unlink(missing_ok=True)
            (folder / path.name).symlink_to(path)
        source = args.out / f"{language}.typ"
        source.write_text(typst_source(language), encoding="utf-8")
        target = args.out / f"{language}-typst.pdf"
        subprocess.run([args.typst_python, "-c", "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], "
                        "font_paths=sys.argv[3:])", str(source), str(target), str(folder), str(FONT_DIR)],
                       check=True)
        handout, loaded = api.load(ROOT / "tests" / "data" / data / f"{language}.yaml", clinic)
        (args.out / f"{language}-booklet.pdf").write_bytes(api.render_prepared(api.prepare(handout, loaded)).pdf)
        print(target)


if __name__ == "__main__":
    main()
