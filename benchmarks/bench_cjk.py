"""Speed of Chinese, Japanese and Korean handouts through the shaping stage (issue 13: a shaped 16-page handout
builds in under a second).

    python benchmarks/bench_cjk.py            # every language, 16-page booklets
    python benchmarks/bench_cjk.py --pages 32 # longer

Each handout is tests/data/cjk/LANG.yaml with its sections repeated until the booklet has at least --pages pages
(built in a temporary folder, removed afterwards). Figures, in seconds, wall clock and CPU (user + system: on a
machine shared with other work the wall clock mostly measures the others):
  first       the first build in this process: imports, reading the CJK fonts (10 MB each), shaping, layout
  warm        median of 5 more builds of the same handout (the shaping memo cleared before each, so the text
              is shaped again; ReportLab's font objects stay loaded, as in a batch)
  process     one whole `booklet build` process, median of 3
  latin       the same for the English example (content/metastatic-breast-cancer.yaml), for scale
The CJK faces must be in the cache already (python -m booklet.cjk makes them): making them is not measured.
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
CLINIC = ROOT / "content" / "clinics" / "riverside" / "clinic.yaml"
LANGUAGES = ("zh-Hans", "zh-Hant", "ja", "ko")


def long_handout(language: str, folder: Path, pages: int) -> Path:
    """The test handout with its sections repeated until the booklet reaches `pages` pages."""
    from booklet import api

    data = yaml.safe_load((ROOT / "tests" / "data" / "cjk" / f"{language}.yaml").read_text(encoding="utf-8"))
    sections = data["sections"]
    copies = 1
    while True:
        data["sections"] = [copy.deepcopy(s) for s in sections * copies]  # no YAML anchors: handouts refuse them
        path = folder / f"{language}-{copies}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        handout, clinic = api.load(path, CLINIC)
        result = api.render_prepared(api.prepare(handout, clinic, "booklet"))
        if result.pages >= pages:
            return path
        copies += max(1, (pages - result.pages) // 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        handouts = {}
        for language in LANGUAGES:  # made in child processes: the first build below is then really the first
            here = str(ROOT / "benchmarks")
            out = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {here!r}); "
                                  f"from bench_cjk import long_handout; from pathlib import Path; "
                                  f"print(long_handout({language!r}, Path({tmp!r}), {args.pages}))"],
                                 capture_output=True, text=True, check=True)
            handouts[language] = Path(out.stdout.strip().splitlines()[-1])
        handouts["latin"] = ROOT / "content" / "metastatic-breast-cancer.yaml"
        print(f"{'language':9} {'pages':>5} {'first':>7} {'cpu':>6} {'warm':>7} {'cpu':>6} {'process':>8} {'cpu':>6}")
        for language, path in handouts.items():
            pages, first, first_cpu, warm, warm_cpu = subprocess.run(
                [sys.executable, "-c", _FIRST, str(path), str(CLINIC)], capture_output=True, text=True,
                check=True).stdout.split()
            times, cpu = [], []
            for _ in range(3):
                start, used = time.perf_counter(), _children_cpu()
                subprocess.run([sys.executable, "-m", "booklet", "build", str(path), "--clinic", str(CLINIC), "-q",
                                "-o", str(folder / "out.pdf")], check=True, capture_output=True)
                times.append(time.perf_counter() - start)
                cpu.append(_children_cpu() - used)
            print(f"{language:9} {pages:>5} {float(first):7.3f} {float(first_cpu):6.3f} {float(warm):7.3f} "
                  f"{float(warm_cpu):6.3f} {statistics.median(times):8.3f} {statistics.median(cpu):6.3f}")


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_FIRST = """
import statistics, sys, time
from pathlib import Path
start, start_cpu = time.perf_counter(), time.process_time()
from booklet import api, shaping
def build():
    handout, clinic = api.load(Path(sys.argv[1]), Path(sys.argv[2]))
    return api.render_prepared(api.prepare(handout, clinic, "booklet"))
result = build()
first, first_cpu = time.perf_counter() - start, time.process_time() - start_cpu
warm, warm_cpu = [], []
for _ in range(5):
    shaping._shape_cached.cache_clear()
    t, c = time.perf_counter(), time.process_time()
    build()
    warm.append(time.perf_counter() - t)
    warm_cpu.append(time.process_time() - c)
print(result.pages, first, first_cpu, statistics.median(warm), statistics.median(warm_cpu))
"""

if __name__ == "__main__":
    main()
