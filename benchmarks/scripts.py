"""What shaping costs (#13, item 9): build times of the handouts in every script, beside Latin ones.

    python benchmarks/scripts.py            # every language handout in tests/data (lang, indic, rtl, cjk)
    python benchmarks/scripts.py --quick    # fewer repetitions

For each handout: pages and CPU milliseconds (time.process_time) for one booklet, in process, the median of N
warm builds (imports, fonts and the first document's one-off costs are left out, as a batch has them once).
Then a 16-page handout in each script: the language's short handout with its sections repeated until the
booklet has at least 16 pages, built warm and as one whole `booklet build` process (wall time, the median of 3),
beside the same for Spanish (Latin text, never shaped). The target: a shaped 16-page handout builds in under a
second, and Latin handouts pay nothing for shaping (their code path never imports it).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FOLDERS = ("lang", "indic", "rtl", "cjk")
LONG_LANGUAGES = ("es", "hi", "bn", "ta", "ar", "he", "zh-Hans", "ja", "ko")


def handouts() -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((DATA / folder).glob("*.yaml"))]


def cpu_ms(path: Path, repeat: int) -> tuple[int, float]:
    from booklet import build
    from booklet.errors import BookletError

    try:
        pages = build(path).pages  # warm-up: fonts, shaping, the first document's one-off costs
    except BookletError as e:
        raise SystemExit(f"{path}: {e}") from e
    times = []
    for _ in range(repeat):
        start = time.process_time()
        build(path)
        times.append((time.process_time() - start) * 1000)
    return pages, statistics.median(times)


def long_version(path: Path, folder: Path, pages_wanted: int = 16) -> Path:
    """The handout with its sections repeated (headings numbered) until its booklet has `pages_wanted` pages."""
    from booklet import build

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = data["sections"]
    for copies in range(2, 40):
        data["sections"] = [dict(copy.deepcopy(s), heading=f"{s['heading']} {n + 1}")
                            for n in range(copies) for s in sections]
        target = folder / f"long-{path.stem}.yaml"
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        if build(target).pages >= pages_wanted:
            return target
    raise SystemExit(f"{path}: could not reach {pages_wanted} pages")


def process_seconds(path: Path, folder: Path, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "booklet", "build", str(path), "-o", str(folder / "out.pdf"), "-q"],
                       check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    print(f"{'handout':24} {'pages':>5} {'CPU ms':>8}")
    for path in handouts():
        pages, ms = cpu_ms(path, repeat)
        print(f"{path.parent.name + '/' + path.name:24} {pages:5d} {ms:8.0f}")
    print()
    print(f"{'16 pages or more':24} {'pages':>5} {'CPU ms':>8} {'process s':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for language in LONG_LANGUAGES:
            found = [p for p in handouts() if p.stem == language]
            if not found:
                continue
            long = long_version(found[0], folder)
            pages, ms = cpu_ms(long, max(3, repeat // 2))
            print(f"{language:24} {pages:5d} {ms:8.0f} {process_seconds(long, folder):10.2f}")


if __name__ == "__main__":
    main()
