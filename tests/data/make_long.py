"""Writes long.yaml: 60 sections, a 300-row table, a 2,000-character word and a 5,000-character paragraph.

Run `python3 tests/data/make_long.py` to regenerate; the output is deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path

WORDS = ("apple river stone cloud garden lantern meadow harbour candle pebble orchard willow "
         "thistle comet falcon marble velvet ember juniper saffron").split()


def words(seed: int, count: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] + (str(seed) if i % 5 == 0 else "") for i in range(count))


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def main() -> None:
    long_word = "".join(chr(ord("a") + (i * 7) % 26) for i in range(2000))
    paragraph = ""
    n = 0
    while len(paragraph) < 5000:
        paragraph += ("" if not paragraph else " ") + f"sentence{n} of the very long paragraph keeps going."
        n += 1
    paragraph = paragraph[:5000].rsplit(" ", 1)[0] + " endofparagraph"
    lines = [
        "title: A very long handout",
        "subtitle: Sixty sections, a long table and some very long text",
        "reference: LONG-001",
        'version: "1.0"',
        "language: en",
        "sections:",
    ]
    for s in range(1, 61):
        lines.append(f"  - heading: {q(f'Section {s:02d} {WORDS[s % len(WORDS)]}')}")
        lines.append("    body:")
        lines.append(f"      - {q(words(s, 25 + s % 10))}")
        if s == 5:
            lines.append(f"      - {q('The long word starts here ' + long_word + ' and the long word ends here.')}")
        if s == 6:
            lines.append(f"      - {q(paragraph)}")
        if s == 7:
            lines.append("      - table:")
            lines.append("          columns: [Medicine, Dose schedule, Notes]")
            lines.append("          rows:")
            for r in range(1, 301):
                lines.append(f"            - [{q(f'Medicine {r:03d}')}, {q(f'take {r % 4 + 1} tablets daily')}, "
                             f"{q(f'rownote{r:03d} with food')}]")
        if s % 10 == 0:
            lines.append(f"      - bullets: [{q(words(s + 100, 6))}, {q(words(s + 200, 9))}]")
    out = Path(__file__).resolve().parent / "long.yaml"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
