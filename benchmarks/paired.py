"""CPU time per document of the working tree beside a git revision, in paired runs: is a change faster?

    python benchmarks/paired.py                     # the working tree (B) against HEAD (A)
    python benchmarks/paired.py --base HEAD~1 --rounds 30
    python benchmarks/paired.py --mode render       # a personalised copy rendered in full: one prepared handout
    python benchmarks/paired.py --mode copy         # ... as a batch makes it, from the template (booklet.reuse)
    python benchmarks/paired.py --base-tree ../other  # against the booklet/ and layouts/ of another checkout

Two resident processes, one running booklet as it is at `--base` (extracted with `git archive` into a
temporary folder) and one running the working tree, build the same distinct handouts (the benchmark corpus in
../shared/bench with every text changed, as bench.py makes them) in alternating rounds, so both see the same
machine load. Each document is timed with time.process_time (CPU: on a shared machine wall time counts the
time other processes had the core), and the two processes' PDFs must be byte-identical, document by document.

Prints, for A and B: CPU ms per document (mean, median, min), wall ms, garbage collections per document and
the CPU they took; then B/A, the ratio of each round's means (median and range over the rounds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
NAMES = ["Zoë O'Brien", "Łucja Dvořák", "François Nuñez", "Nguyễn Thị Thanh Hà", "Siobhán Müller"]


def worker() -> None:
    """A resident builder: one JSON line in (what to build), one JSON line out (times, collections, digest)."""
    import gc

    from booklet import api

    clinic = Path(os.environ["PAIRED_CLINIC"])
    counts = [0, 0, 0]
    spent = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            spent[1] = time.process_time()
        else:
            counts[info["generation"]] += 1
            spent[0] += time.process_time() - spent[1]

    gc.callbacks.append(on_gc)
    prepared: dict[str, api.Prepared] = {}
    for line in sys.stdin:
        job = json.loads(line)
        before, gc_before = list(counts), spent[0]
        cpu, wall = time.process_time(), time.perf_counter()
        if job["mode"] == "doc":
            handout, clinic_model = api.load(Path(job["path"]), clinic)
            result = api.render_prepared(api.prepare(handout, clinic_model))
        else:
            if job["path"] not in prepared:
                handout, clinic_model = api.load(Path(job["path"]), clinic)
                prepared[job["path"]] = api.prepare(handout, clinic_model)
            cpu, wall = time.process_time(), time.perf_counter()
            if job["mode"] == "copy":
                from booklet import reuse

                result = reuse.render_copy(prepared[job["path"]], job["values"])
            else:
                result = api.render_prepared(prepared[job["path"]], job["values"])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        collections = [a - b for a, b in zip(counts, before, strict=True)]
        print(json.dumps({"cpu": cpu * 1000, "wall": wall * 1000, "gc": collections,
                          "gc_ms": (spent[0] - gc_before) * 1000,
                          "sha256": hashlib.sha256(result.pdf).hexdigest()}), flush=True)


def main(argv: list[str] | None = None) -> int:
    import bench

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="HEAD", help="the git revision to compare with (default HEAD)")
    ap.add_argument("--base-tree", type=Path, help="a checkout (a git worktree, possibly with changes) to compare "
                    "with instead of --base: its booklet/ and layouts/ as they are on disk")
    ap.add_argument("--rounds", type=int, default=20, help="alternating rounds (default 20)")
    ap.add_argument("--per", type=int, default=5, help="documents per process per round (default 5)")
    ap.add_argument("--docs", type=int, default=30, help="distinct handouts to cycle through (default 30)")
    ap.add_argument("--mode", choices=("doc", "render", "copy"), default="doc",
                    help="doc: load + prepare + render a distinct handout; render: a new patient's copy rendered "
                    "in full; copy: one as `booklet batch --data` makes it (booklet.reuse: from a template)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="booklet-paired-") as tmp:
        folder = Path(tmp)
        base = folder / "base"
        base.mkdir()
        if a.base_tree is not None:
            shutil.copytree(a.base_tree / "booklet", base / "booklet", ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copytree(a.base_tree / "layouts", base / "booklet" / "layouts")
        else:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", a.base, "booklet", "layouts"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            (base / "layouts").rename(base / "booklet" / "layouts")  # as installed: the package booklet.layouts
        (folder / "docs").mkdir()
        docs = bench.distinct_copies(folder / "docs", a.docs)
        (folder / "personal").mkdir()
        personal, _ = bench.personalised(folder / "personal", 1)

        def start(path: str) -> subprocess.Popen[str]:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env.update(PYTHONPATH=path, PAIRED_CLINIC=str(bench.CORPUS / "clinic.yaml"))
            return subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, env=env)

        procs = {"A": start(str(base)), "B": start("")}

        def job(i: int) -> str:
            if a.mode == "doc":
                return json.dumps({"mode": "doc", "path": str(docs[i % len(docs)])})
            name = bench.accented_name(i) if a.mode == "copy" else f"{NAMES[i % len(NAMES)]} {i}"
            values = {"patient_id": f"P{i:05d}", "patient_name": name}
            return json.dumps({"mode": a.mode, "path": str(personal), "values": values})

        def run(name: str, i: int) -> dict:
            proc = procs[name]
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write(job(i) + "\n")
            proc.stdin.flush()
            return json.loads(proc.stdout.readline())

        for name in procs:  # imports, fonts, first documents: not timed
            for i in range(3):
                run(name, i)
        results: dict[str, list[dict]] = {"A": [], "B": []}
        ratios = []
        i = 0
        for r in range(a.rounds):
            means = {}
            for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
                got = [run(name, i + j) for j in range(a.per)]
                results[name] += got
                means[name] = statistics.mean(g["cpu"] for g in got)
            for x, y in zip(results["A"][-a.per:], results["B"][-a.per:], strict=True):
                if x["sha256"] != y["sha256"]:
                    print(f"the PDFs differ (document {i}): {a.base_tree or a.base} and the working tree do not make "
                          "the same bytes")
                    return 1
            ratios.append(means["B"] / means["A"])
            i += a.per
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()
    print(f"A = {a.base_tree or a.base}, B = working tree; {a.mode}, {len(results['A'])} documents each in "
          f"{a.rounds} rounds")
    for name in ("A", "B"):
        got = results[name]
        cpu = [g["cpu"] for g in got]
        print(f"{name}: CPU ms/doc mean {statistics.mean(cpu):.1f}, median {statistics.median(cpu):.1f}, "
              f"min {min(cpu):.1f}; wall mean {statistics.mean(g['wall'] for g in got):.1f}; collections/doc "
              f"{statistics.mean(sum(g['gc']) for g in got):.1f} (full: {sum(g['gc'][2] for g in got)}), "
              f"{statistics.mean(g['gc_ms'] for g in got):.1f} ms/doc")
    print(f"B/A (each round's mean CPU): median {statistics.median(ratios):.3f}, range {min(ratios):.3f} to "
          f"{max(ratios):.3f}; bytes identical in every pair; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
        sys.exit(0)
    sys.exit(main())
