"""Personalised copies (`booklet batch --data`): written from a template vs rendered in full, beside Typst's mail-merge.

    python benchmarks/personalised.py               # 200 rows on 2 workers, Typst too if /tmp/peers exists
    python benchmarks/personalised.py --rows 60 --peers none

Figures:
  in process     CPU ms per copy (time.process_time) in one process, the handout prepared and its
                 template made: `reuse.render_copy` (what a batch row does) and `api.render_prepared`
                 (a full render of the same row), alternating row by row, median of each
  batch          copies/s for ROWS rows on JOBS workers through booklet.batch in a fresh process
                 (as `booklet batch --data` runs it), with copies written from the template and, for
                 comparison, with every copy rendered in full; CPU ms per copy of the whole batch
                 process and its workers (start-up, plan and templates included)
  typst          documents/s of ../shared/bench/peers.py --engine typst --batch ROWS --workers JOBS
                 --vary ref (only the reference code changes), in the same run; its CPU ms per
                 document likewise (start-up included)

The handout is the benchmark corpus (../shared/bench) with the patient's name on the cover and in the
first paragraph (as benchmarks/bench.py makes it); every row's name has an accented letter no earlier
row had, so every copy's font subsets differ. Everything is written to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import CORPUS, PEERS_PYTHON, peer_batch, personalised
from bench import accented_name as name
from bench import run_batch as bench_batch


def in_process(content: Path, clinic: Path, rows: int) -> dict[str, float | str]:
    from booklet import api, reuse

    handout, clinic_model = api.load(content, clinic)
    prepared = api.prepare(handout, clinic_model)
    t = time.process_time()
    template = reuse.template_for(prepared, reuse.Options())
    template_ms = (time.process_time() - t) * 1000
    copies, full = [], []
    for i in range(rows):
        values = {"patient_id": f"P{i:05d}", "patient_name": name(i)}
        t = time.process_time()
        reuse.render_copy(prepared, values)
        copies.append((time.process_time() - t) * 1000)
        t = time.process_time()
        api.render_prepared(prepared, values)
        full.append((time.process_time() - t) * 1000)
    return {"copy_ms": statistics.median(copies), "full_ms": statistics.median(full), "template_ms": template_ms,
            "pages": template.pages if template else 0,
            "drawn": "+".join(str(layout.stop) for layout in template.layouts) if template else "0"}


def run_batch(content: Path, clinic: Path, data: Path, out: Path, jobs: int, reuse: bool) -> dict[str, float]:
    """bench.run_batch of the rows; `reuse=False` renders every copy in full."""
    return bench_batch([content], clinic, out, jobs, data,
                       setup="" if reuse else "batch.reuse.render_copy = api.render_prepared")


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes and theirs (the batch's workers)."""
    times = os.times()
    return times.children_user + times.children_system


def typst(rows: int, jobs: int) -> tuple[float, float] | None:
    """Documents/s and CPU ms per document of Typst's mail-merge (bench.peer_batch: peers.py --vary ref)."""
    if not PEERS_PYTHON.exists():
        return None
    before = children_cpu()
    rate = peer_batch("typst", rows, jobs, "ref")
    return (rate, (children_cpu() - before) * 1000 / rows) if rate else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200, help="rows in the batch (default 200)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--repeat", type=int, default=30, help="rows timed in process (default 30)")
    ap.add_argument("--peers", default="typst", help="typst or none")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="booklet-personal-") as tmp:
        folder = Path(tmp)
        content, data = personalised(folder, a.rows)
        clinic = CORPUS / "clinic.yaml"
        ip = in_process(content, clinic, a.repeat)
        print(f"in process: copy {ip['copy_ms']:.1f} CPU ms, full render {ip['full_ms']:.1f} CPU ms "
              f"({ip['drawn']} of {ip['pages']} pages drawn per copy; template made once in "
              f"{ip['template_ms']:.0f} ms)", flush=True)
        reused = run_batch(content, clinic, data, folder / "reused", a.jobs, reuse=True)
        full = run_batch(content, clinic, data, folder / "full", a.jobs, reuse=False)
        same = all((folder / "reused" / f.name).read_bytes() == f.read_bytes() for f in (folder / "full").iterdir())
        print(f"batch {a.rows} rows on {a.jobs} workers: {reused['docs_per_s']:.1f} copies/s "
              f"({reused['cpu_ms']:.0f} CPU ms per copy); rendered in full {full['docs_per_s']:.1f} copies/s "
              f"({full['cpu_ms']:.0f} CPU ms per copy); the same bytes: {same}", flush=True)
        peer = typst(a.rows, a.jobs) if a.peers == "typst" else None
        if peer:
            rate, cpu_ms = peer
            print(f"typst --vary ref, {a.rows} on {a.jobs} workers: {rate:.1f} docs/s ({cpu_ms:.0f} CPU ms per "
                  f"document, its start-up included); booklet personalised / typst = "
                  f"{reused['docs_per_s'] / rate:.2f}x (in full: {full['docs_per_s'] / rate:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
