"""Memory over time of a long personalised mailing: `booklet batch --data` on a local Dask cluster (or the
local process pool), sampled from outside while it runs, to show that memory stays flat at any row count.

    python benchmarks/mailing.py                       # 10,000 rows on a LocalCluster of 2 workers
    python benchmarks/mailing.py --rows 2000 --engine pool
    python benchmarks/mailing.py --unbounded           # for contrast: every job submitted up front

Needs the dask extra (`pip install -e '.[dask]'`; psutil comes with it). Starts a LocalCluster
(scheduler in this process, 2 worker processes of 1 thread), writes a short personalised handout
(a 4-page leaflet with the patient's name on it; `--content` for another) and a CSV of accented names
to a temporary folder, and runs `booklet batch ... --scheduler ... --manifest ...` as its own process,
as a user would. Every --every seconds it samples the resident memory (RSS) of the client (the
`booklet batch` process), of each worker, and of this process (the scheduler), and the number of
copies done (manifest lines). It prints a row at each tenth of the mailing, then each process's
peak (VmHWM from /proc) and the growth from the first tenth to the end.

Dask's statistical profiler (on by default) keeps about 1,000 seconds of call stacks in each
worker: worker memory then grows for about 17 minutes of work and stays there, whatever the work.
`--no-profiler` turns it off, to show booklet's own memory.

`--unbounded` runs the same through the library with every job submitted at once (what
`batch.run(plan, executor=client.get_executor())` did before streaming): the client's and the
scheduler's memory then grow with the row count.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HANDOUT = """\
title: Your appointment
reference: APT-1
language: en-GB
audience: "Prepared for {{ patient_name }} (hospital number {{ patient_id }})"
summary: [Arrive 15 minutes early., Bring this letter and a list of your medicines.]
sections:
  - heading: For {{ patient_name }}
    body:
      - "Dear {{ patient_name }}, your hospital number is {{ patient_id }}. Please bring this letter."
      - bullets: [Your glasses, Your medicines, Something to read]
  - heading: On the day
    body:
      - The clinic is on the second floor. Please tell the desk when you arrive.
"""
NAMES = ["Zoë O'Brien", "Łucja Dvořák", "François Nuñez", "Nguyễn Thị Thanh Hà", "Siobhán Müller", "Ørjan Ångström"]

UNBOUNDED = """
import sys
from pathlib import Path
from distributed import Client
from booklet import batch
content, data, out, address = sys.argv[1:5]
work = batch.plan([Path(content)], data=Path(data), out=Path(out), absolute_paths=True)
with Client(address) as client:
    result = batch.run(work, executor=client.get_executor(pure=False), in_flight=10**9, keep_outcomes=False,
                       on_progress=lambda p: p.done % 100 or print(p.done, flush=True))
print(result.written_count, "written", len(result.failed), "failed")
"""


def rss_mb(pid: int) -> float:
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return float("nan")


def peak_mb(pid: int) -> float:
    """VmHWM: the process's peak resident memory, kept by Linux (nan elsewhere, or once it has ended)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000, help="CSV rows, one copy each (default 10,000)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--engine", choices=("dask", "pool"), default="dask", help="a LocalCluster or --jobs N processes")
    ap.add_argument("--unbounded", action="store_true", help="submit every job at once (Dask, through the library)")
    ap.add_argument("--content", type=Path, help="a handout with {{ patient_name }} and {{ patient_id }}")
    ap.add_argument("--every", type=float, default=0.5, help="seconds between samples (default 0.5)")
    ap.add_argument("--no-profiler", action="store_true",
                    help="turn off Dask's statistical profiler in the workers: it keeps the call stacks of the last "
                         "1,000 seconds, so a worker's memory grows for about 17 minutes of work, whatever it runs")
    a = ap.parse_args(argv)
    import psutil

    from booklet import __version__

    print(f"booklet {__version__}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; {a.rows} rows, "
          f"{a.workers} workers, engine {a.engine}{' (unbounded submission)' if a.unbounded else ''}"
          f"{', Dask profiler off' if a.no_profiler else ''}")
    with tempfile.TemporaryDirectory(prefix="booklet-mailing-") as tmp:
        folder = Path(tmp)
        content = folder / "letter.yaml"
        content.write_text(a.content.read_text(encoding="utf-8") if a.content else HANDOUT, encoding="utf-8")
        data = folder / "mailing.csv"
        with open(data, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["patient_id", "patient_name"])
            for i in range(1, a.rows + 1):
                w.writerow([f"P{i:06d}", f"{NAMES[i % len(NAMES)]} {i}"])
        out, manifest = folder / "out", folder / "mailing.jsonl"
        booklet = [sys.executable, "-m", "booklet", "batch", str(content), "--data", str(data), "--no-clinic",
                   "--name", "{{ patient_id }}", "--out", str(out), "--manifest", str(manifest), "-q"]
        cluster = client = None
        if a.engine == "dask" or a.unbounded:
            import dask
            from distributed import Client, LocalCluster

            if a.no_profiler:
                dask.config.set({"distributed.worker.profile.enabled": False})  # the nannies pass it to the workers
            cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=40)
            client = Client(cluster)
            workers = sorted(client.run(os.getpid).values())
            if a.unbounded:
                command = [sys.executable, "-c", UNBOUNDED, str(content), str(data), str(out),
                           cluster.scheduler_address]
            else:
                command = [*booklet, "--scheduler", cluster.scheduler_address]
        else:
            command = [*booklet, "--jobs", str(a.workers)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, int, float, list[float], float]] = []
        peaks: dict[str, float] = {}

        def done() -> int:
            if a.unbounded:
                return sum(1 for p in out.iterdir() if p.suffix == ".pdf") if out.exists() else 0
            try:
                with open(manifest, "rb") as f:
                    return sum(1 for _ in f)
            except OSError:
                return 0

        while process.poll() is None:
            time.sleep(a.every)
            if a.engine == "pool" and not a.unbounded:
                try:
                    workers = [c.pid for c in psutil.Process(process.pid).children()]
                except psutil.Error:
                    workers = []
            client_mb = rss_mb(process.pid)
            worker_mb = [rss_mb(pid) for pid in workers]
            samples.append((time.perf_counter() - started, done(), client_mb, worker_mb, rss_mb(os.getpid())))
            peaks["client"] = max(peaks.get("client", 0), peak_mb(process.pid))
            for i, pid in enumerate(workers):
                peaks[f"worker {i + 1}"] = max(peaks.get(f"worker {i + 1}", 0), peak_mb(pid))
        elapsed = time.perf_counter() - started
        errors = process.stderr.read() if process.stderr else ""
        count = done()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if process.returncode:
        print(f"booklet batch exited {process.returncode}:\n{errors}")
        return 1
    print(f"\n{count} copies in {elapsed:.0f} s ({count / elapsed:.1f} copies/s, start-up included)\n")
    name = "scheduler" if a.engine == "dask" or a.unbounded else "this script"
    print(f"{'time s':>7} {'copies':>7} {'client MB':>10} {'workers MB':>18} {name + ' MB':>13}")
    shown = -1
    for t, n, c, ws, s in samples:
        tenth = n * 10 // max(1, a.rows)
        if tenth > shown:
            shown = tenth
            print(f"{t:7.1f} {n:7d} {c:10.1f} {' '.join(f'{w:8.1f}' for w in ws):>18} {s:13.1f}")
    first = next((s for s in samples if s[1] >= a.rows // 10), samples[0])
    last = [s for s in samples if s[2] > 1][-1]  # the last sample before the client began to exit
    print("\npeak RSS (VmHWM), MB: " + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items()))
    print(f"client RSS at {first[1]} copies {first[2]:.1f} MB, at {last[1]} copies {last[2]:.1f} MB "
          f"({last[2] - first[2]:+.1f} MB); workers {[round(w, 1) for w in first[3]]} -> "
          f"{[round(w, 1) for w in last[3]]} MB; {name} {first[4]:.1f} -> {last[4]:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
