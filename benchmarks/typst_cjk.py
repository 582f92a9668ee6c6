"""A visual reference for the Chinese, Japanese and Korean handouts: the same text set by Typst (PyPI `typst`),
in the same fonts (the faces booklet makes from the `cjk` extra, and DejaVu Sans for Latin), on booklet's A5
page with its margins and 12 pt body at 1.3 leading, so that line breaks can be compared line by line.

    python -m venv /tmp/typst-env && /tmp/typst-env/bin/pip install typst
    python benchmarks/typst_cjk.py --typst-python /tmp/typst-env/bin/python OUT_FOLDER

writes OUT_FOLDER/LANG-typst.pdf and OUT_FOLDER/LANG-booklet.pdf for zh-Hans, zh-Hant, ja and ko (booklet's
built from tests/data/cjk/LANG.yaml with the Riverside clinic). Typst is not one of booklet's dependencies: it
runs in its own environment.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = {"zh-Hans": ("zh", "CN", "SC"), "zh-Hant": ("zh", "TW", "TC"), "ja": ("ja", None, "JP"),
             "ko": ("ko", None, "KR")}


def _s(text: str) -> str:
    """Typst markup for a text (its **bold** in strong)."""
    parts = [f"#strong({json.dumps(p, ensure_ascii=False)})" if i % 2 else f"#{json.dumps(p, ensure_ascii=False)}"
             for i, p in enumerate(text.split("**")) if p]
    return "".join(parts)


def typst_source(language: str) -> str:
    d = yaml.safe_load((ROOT / "tests" / "data" / "cjk" / f"{language}.yaml").read_text(encoding="utf-8"))
    lang, region, face = LANGUAGES[language]
    family = {"SC": "Noto Sans SC", "TC": "Noto Sans TC", "JP": "Noto Sans JP", "KR": "Noto Sans KR"}[face]
    region_arg = f', region: "{region}"' if region else ""
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
    parser.add_argument("--typst-python", default="python3", help="a Python with the `typst` package")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from booklet import api, cjk
    from booklet.fonts import FONT_DIR

    clinic = ROOT / "content" / "clinics" / "riverside" / "clinic.yaml"
    for language, (_, _, face) in LANGUAGES.items():
        folder = args.out / f"fonts-{face}"  # only this language's faces: Typst must not pick another's Han
        folder.mkdir(exist_ok=True)
        for bold in (False, True):
            path = Path(cjk.font_file(face, bold))
            (folder / path.name).unlink(missing_ok=True)
            (folder / path.name).symlink_to(path)
        source = args.out / f"{language}.typ"
        source.write_text(typst_source(language), encoding="utf-8")
        target = args.out / f"{language}-typst.pdf"
        subprocess.run([args.typst_python, "-c", "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], "
                        "font_paths=sys.argv[3:])", str(source), str(target), str(folder), str(FONT_DIR)],
                       check=True)
        handout, loaded = api.load(ROOT / "tests" / "data" / "cjk" / f"{language}.yaml", clinic)
        (args.out / f"{language}-booklet.pdf").write_bytes(api.render_prepared(api.prepare(handout, loaded)).pdf)
        print(target)


if __name__ == "__main__":
    main()
