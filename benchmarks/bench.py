"""Speed and memory of booklet on this machine, beside its peers (Typst, WeasyPrint) from the same run.

    python benchmarks/bench.py                      # booklet's figures, plus peers if /tmp/peers exists
    python benchmarks/bench.py --peers none --quick # booklet only, fewer repetitions
    python benchmarks/bench.py --flat 1000          # also: peak memory per worker across 1,000 copies

Figures (targets in brackets; issue 16's are relative to Typst in the same run):
  in process        CPU ms (time.process_time) and wall ms per document, load + validate + prepare + render of
                    a distinct handout, median and mean of N after the first (which includes imports and font
                    loading). CPU time is the figure to compare on a shared machine: wall time counts the
                    time other processes had the core
  render only       CPU ms per copy when the handout is already prepared (a personalised row's work)
  batch distinct    documents/s, 200 distinct handouts on every core via booklet.batch, and CPU ms per
                    document (the batch process and its workers) [>= 0.4x Typst's distinct throughput]
  batch personal    documents/s, 200 CSV rows of one handout with a patient's name on the cover and in the
                    first section, each with an accented letter no earlier row had
                    [>= 1.0x Typst's `--vary ref` mail-merge]
                    Batches run in rounds (--rounds), each booklet's then Typst's right after it; they are
                    timed as peers.py times its own, from after the program's imports (a figure with the
                    imports of booklet's batch process is given too)
  impose            ms to put one booklet on printer sheets (`--impose`)
  build process     seconds for one whole `booklet build` process, median of 11 (wall; CPU beside it)
                    [< 0.4 s with bytecode cached]: with bytecode cached (PYTHONPYCACHEPREFIX in the temporary
                    folder), as an installed package has it, and as run (PYTHONDONTWRITEBYTECODE=1 makes every
                    run compile booklet's sources)
  --help            seconds for `booklet --help`, median of 11 [< 0.15 s]
  python -c pass    the interpreter's own start-up on this machine, for scale
  peak RSS          peak resident memory per worker process [< 120 MB]
  load average      before and after the run (1 minute): above the number of cores, other processes were
                    running and wall times (throughput included) are inflated

The handout is the benchmark corpus in ../shared/bench (17 A5 pages with the peers'
layout). Distinct handouts are copies with every paragraph, heading, list item and
the reference code changed (like the peers' `--vary all`), written to a temporary
folder that is removed afterwards. Nothing is written anywhere else.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
if not BENCH.exists():
    BENCH = Path("/work/shared/bench")
CORPUS = BENCH / "corpus"
PEERS_PYTHON = Path("/tmp/peers/bin/python")


# -- inputs -----------------------------------------------------------------------
def handout_text() -> str:
    """The benchmark handout, with its QR code's 71-character address shortened: booklet refuses an
    address too long to print whole on one line at body size (#11), as a clinic would be told to."""
    text = (CORPUS / "breast-cancer.yaml").read_text(encoding="utf-8")
    return re.sub(r'(url: "https://riverside\.example/)[^"]{40,}"', r'\1breastcare/secondary"', text)


def distinct_copies(folder: Path, count: int) -> list[Path]:
    """`count` copies of the handout, each with every text block changed (defeats any per-document cache)."""
    data = yaml.load(handout_text(), Loader=yaml.CSafeLoader)
    shutil.copytree(CORPUS / "images", folder / "images", dirs_exist_ok=True)
    paths = []
    for i in range(count):
        d = copy.deepcopy(data)
        tag = f" ({i})"
        d["reference"] = f"{d.get('reference', 'DOC')}/{i:04d}"
        for s in d["sections"]:
            s["heading"] += tag
            body = s.get("body", [])
            for j, b in enumerate(body):
                if isinstance(b, str):
                    body[j] = b + tag
                elif "bullets" in b:
                    b["bullets"] = [x + tag for x in b["bullets"]]
                elif "steps" in b:
                    b["steps"] = [x + tag for x in b["steps"]]
                elif "callout" in b and b["callout"].get("text"):
                    b["callout"]["text"] += tag
                elif "questions" in b:
                    b["questions"] = [x + tag for x in b["questions"]]
        path = folder / f"handout-{i:04d}.yaml"
        path.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
        paths.append(path)
    return paths


GIVEN = ("Zoë", "Łucja", "François", "Siobhán", "Nguyễn Thị", "Ágnes", "Jürgen", "Dvořák")
#: Letters for the rows' names, one new per row: Latin-1 and Latin Extended-A letters.
LETTERS = [chr(c) for c in range(0xC0, 0x180) if chr(c).isalpha() and c not in (0xD7, 0xF7)]


def accented_name(i: int) -> str:
    """Row i's patient: an accented given name and a surname with a letter no earlier row had (so every
    copy's font subsets differ), and the row number."""
    letter = LETTERS[i % len(LETTERS)]
    return f"{GIVEN[i % len(GIVEN)]} {letter}{'stergaard' if letter.islower() else 'sterberg'}-{i}"


def personalised(folder: Path, rows: int, name: Callable[[int], str] = accented_name) -> tuple[Path, Path]:
    """The handout with a patient's name on the cover and in the first paragraph, and a CSV of `rows` patients
    (`name(i)`: row i's name)."""
    text = handout_text()
    text = re.sub(r"^audience: .*$", "audience: Prepared for {{ patient_name }} (hospital number {{ patient_id }})",
                  text, count=1, flags=re.M)
    text = text.replace("      - Metastatic breast cancer is breast cancer that has spread",
                        "      - \"{{ patient_name }}, this booklet is for you.\"\n"
                        "      - Metastatic breast cancer is breast cancer that has spread", 1)
    shutil.copytree(CORPUS / "images", folder / "images", dirs_exist_ok=True)
    content = folder / "personal.yaml"
    content.write_text(text, encoding="utf-8")
    data = folder / "patients.csv"
    with open(data, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "patient_name"])
        for i in range(rows):
            w.writerow([f"P{i:05d}", name(i)])
    return content, data


# -- measurements --------------------------------------------------------------------
def in_process(contents: list[Path], clinic: Path, repeat: int) -> dict[str, float]:
    from booklet import api

    def one(path: Path) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        handout, clinic_model = api.load(path, clinic)
        api.render_prepared(api.prepare(handout, clinic_model))
        return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000

    first = one(contents[0])
    timed = [one(contents[1 + i % (len(contents) - 1)]) for i in range(repeat)]
    cpu = [t[0] for t in timed]
    wall = [t[1] for t in timed]
    handout, clinic_model = api.load(contents[0], clinic)
    prepared = api.prepare(handout, clinic_model)
    renders = []
    for _ in range(repeat):
        t = time.process_time()
        api.render_prepared(prepared)
        renders.append((time.process_time() - t) * 1000)
    pages = api.render_prepared(prepared).pages
    return {"first_ms": first[1], "first_cpu_ms": first[0], "cpu_ms": statistics.median(cpu),
            "cpu_mean_ms": statistics.mean(cpu), "min_cpu_ms": min(cpu), "median_ms": statistics.median(wall),
            "render_ms": statistics.median(renders), "pages": pages}


def run_batch(contents: list[Path], clinic: Path, out: Path, jobs: int, data: Path | None = None,
              setup: str = "") -> dict[str, float]:
    """A batch through booklet.batch, as `booklet batch` runs it, in a fresh process (cold caches, like the CLI).
    Timed as peers.py times its batches: from after the program's imports (also given: with them). `setup`:
    Python run after the imports (`api` and `batch` are imported), such as a change to compare against."""
    code = f"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from booklet import api, batch
t = time.perf_counter()
{setup}
work = batch.plan([Path(p) for p in {[str(c) for c in contents]!r}], clinic=Path({str(clinic)!r}),
                  data={str(data) if data else None!r} and Path({str(data)!r}), out=Path({str(out)!r}))
result = batch.run(work, jobs={jobs})
dt = time.perf_counter() - t
assert not result.failed, result.failed[0].error
cpu = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                            resource.getrusage(resource.RUSAGE_CHILDREN)))
print(json.dumps({{"docs": len(result.written), "seconds": dt, "import": t - t0, "cpu": cpu,
                  "peaks_kb": list(result.peak_rss_kb.values())}}))
"""
    import json

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return {"docs": r["docs"], "seconds": r["seconds"], "docs_per_s": r["docs"] / r["seconds"],
            "with_import_per_s": r["docs"] / (r["seconds"] + r["import"]), "cpu_ms": r["cpu"] / r["docs"] * 1000,
            "peak_mb": max(r["peaks_kb"]) / 1024 if r["peaks_kb"] else 0.0}


def process_time(args: list[str], runs: int = 5, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system, from the children's rusage) of a command."""
    import resource

    walls, cpus = [], []
    for _ in range(runs + 1):  # the first run warms the disk cache (and, with a cache prefix, writes bytecode)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls[1:]), statistics.median(cpus[1:])


def booklet_command() -> list[str]:
    """The installed script beside this interpreter (a pyenv shim would add its own start-up)."""
    beside = Path(sys.executable).parent / "booklet"
    if beside.exists():
        return [str(beside)]
    exe = shutil.which("booklet")
    return [exe] if exe else [sys.executable, "-m", "booklet"]


def with_bytecode(folder: Path) -> dict[str, str]:
    """An environment in which Python may cache bytecode (in `folder`), as a normal install has it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    return env


def impose_ms(content: Path, clinic: Path, repeat: int) -> float:
    from booklet import api
    from booklet.impose import impose_saddle_stitch

    handout, clinic_model = api.load(content, clinic)
    pdf = api.render_prepared(api.prepare(handout, clinic_model)).pdf
    impose_saddle_stitch(pdf)
    times = []
    for _ in range(max(5, repeat // 2)):
        t = time.perf_counter()
        impose_saddle_stitch(pdf)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def peer_in_process(engine: str, repeat: int) -> dict[str, float]:
    """ms per document in one process (peers.py --repeat): the first (start-up included) and the median."""
    r = subprocess.run([*_peer_command(engine), "--repeat", str(repeat)], capture_output=True, text=True, cwd=BENCH)
    m = re.search(r"first_ms=([\d.]+) median_ms=([\d.]+)", r.stdout)
    return {"first_ms": float(m.group(1)), "median_ms": float(m.group(2))} if m else {}


def peer_batch(engine: str, docs: int, workers: int, vary: str) -> float | None:
    """Documents/s of a peers.py batch: `vary` all (distinct handouts) or ref (its mail-merge)."""
    r = subprocess.run([*_peer_command(engine), "--batch", str(docs), "--workers", str(workers), "--vary", vary],
                       capture_output=True, text=True, cwd=BENCH)
    m = re.search(r"docs_per_s=([\d.]+)", r.stdout)
    return float(m.group(1)) if m else None


def _peer_command(engine: str) -> list[str]:
    return [str(PEERS_PYTHON), str(BENCH / "peers.py"), str(CORPUS / "breast-cancer.yaml"), "--clinic",
            str(CORPUS / "clinic.yaml"), "--engine", engine]


def mailing(rows: int, workers: int) -> list[str]:
    """benchmarks/mailing.py's report of `rows` personalised copies on a Dask LocalCluster: its summary lines."""
    r = subprocess.run([sys.executable, str(Path(__file__).with_name("mailing.py")), "--rows", str(rows),
                        "--workers", str(workers)], capture_output=True, text=True)
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    keep = [line for line in lines if "copies in" in line or "peak RSS" in line or "RSS at" in line]
    return keep or [f"mailing.py failed: {(r.stderr or r.stdout).strip().splitlines()[-1:]}"]


def rates(runs: list[dict[str, float]]) -> str:
    return ", ".join(f"{r['docs_per_s']:.1f}" for r in runs)


# -- report -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=20, help="documents timed in process (default 20)")
    ap.add_argument("--docs", type=int, default=200, help="documents per batch (default 200)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: every core)")
    ap.add_argument("--peers", default="typst,weasyprint", help="peers to run: typst,weasyprint or none")
    ap.add_argument("--flat", type=int, default=0, help="also run a personalised batch of N rows for peak memory")
    ap.add_argument("--rounds", type=int, default=3, help="batch rounds, each booklet's then Typst's (default 3)")
    ap.add_argument("--mailing", type=int, default=0,
                    help="also run N personalised copies on a Dask LocalCluster for memory over time (10000)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, not for reporting)")
    a = ap.parse_args(argv)
    if a.quick:
        a.repeat, a.docs, a.rounds = 5, 40, 1
    clinic = CORPUS / "clinic.yaml"
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, jobs={a.jobs}")
    try:
        import _rl_accel  # noqa: F401

        accel = "yes"
    except ImportError:
        accel = "no"
    print(f"rl-accel: {accel}; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    load_before = os.getloadavg()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="booklet-bench-") as tmp:
        folder = Path(tmp)
        (folder / "distinct").mkdir()
        contents = distinct_copies(folder / "distinct", a.docs)
        ip = in_process(contents, clinic, a.repeat)
        rows.append(("in process, CPU ms/doc (load+render, distinct)", f"{ip['cpu_ms']:.1f}", "",
                     f"mean {ip['cpu_mean_ms']:.1f}, min {ip['min_cpu_ms']:.1f}; first {ip['first_cpu_ms']:.0f} ms "
                     f"CPU; {ip['pages']} pages"))
        rows.append(("in process, wall ms/doc", f"{ip['median_ms']:.1f}", "", f"first {ip['first_ms']:.0f} ms"))
        rows.append(("render only, CPU ms/copy (prepared)", f"{ip['render_ms']:.1f}", "", ""))
        # Throughput beside Typst: each round runs booklet's batch and Typst's right after it, so both see the same
        # machine; the ratio is of the medians over the rounds.
        typst = "typst" in a.peers.split(",") and PEERS_PYTHON.exists()
        (folder / "personal").mkdir()
        content, data = personalised(folder / "personal", a.docs)
        distinct: list[dict[str, float]] = []
        personal: list[dict[str, float]] = []
        typst_distinct: list[float] = []
        typst_ref: list[float] = []
        for r in range(a.rounds):
            distinct.append(run_batch(contents, clinic, folder / f"out-d{r}", a.jobs))
            if typst:
                typst_distinct.append(peer_batch("typst", a.docs, a.jobs, "all") or float("nan"))
            personal.append(run_batch([content], clinic, folder / f"out-p{r}", a.jobs, data))
            if typst:
                typst_ref.append(peer_batch("typst", a.docs, a.jobs, "ref") or float("nan"))
        bd = {k: statistics.median(d[k] for d in distinct) for k in distinct[0]}
        bp = {k: statistics.median(d[k] for d in personal) for k in personal[0]}
        rows.append((f"batch {a.docs} distinct, docs/s", f"{bd['docs_per_s']:.1f}", "",
                     f"median of {a.rounds} ({rates(distinct)}); with the "
                     f"parent's imports {bd['with_import_per_s']:.1f}; CPU {bd['cpu_ms']:.0f} ms/doc"))
        rows.append((f"batch {a.docs} personalised rows, docs/s", f"{bp['docs_per_s']:.1f}", "",
                     f"median of {a.rounds} ({rates(personal)}); with the "
                     f"parent's imports {bp['with_import_per_s']:.1f}; CPU {bp['cpu_ms']:.0f} ms/doc"))
        rows.append(("impose one booklet, ms", f"{impose_ms(contents[0], clinic, a.repeat):.1f}", "", "--impose"))
        runs = 3 if a.quick else 11  # one process is short and the machine shared: the median of many
        (folder / "distinct" / "one.yaml").write_text(handout_text(), encoding="utf-8")
        build_args = [*booklet_command(), "build", str(folder / "distinct" / "one.yaml"), "--clinic", str(clinic),
                      "-o", str(folder / "one.pdf")]
        bytecode = with_bytecode(folder / "pycache")
        python, _ = process_time([sys.executable, "-c", "pass"], runs)
        build_pyc, build_pyc_cpu = process_time(build_args, runs, env=bytecode)
        build, build_cpu = process_time(build_args, runs)
        rows.append(("`booklet build` process, s", f"{build_pyc:.3f}", "< 0.4",
                     f"median of {runs}, bytecode cached (CPU {build_pyc_cpu:.3f} s); as run: {build:.3f} s "
                     f"(CPU {build_cpu:.3f} s)"))
        helps_pyc, helps_pyc_cpu = process_time([*booklet_command(), "--help"], runs, env=bytecode)
        helps, _ = process_time([*booklet_command(), "--help"], runs)
        rows.append(("`booklet --help`, s", f"{helps_pyc:.3f}", "< 0.15",
                     f"bytecode cached (CPU {helps_pyc_cpu:.3f} s); as run: {helps:.3f} s"))
        rows.append(("`python -c pass` here, s", f"{python:.3f}", "", "interpreter and site start-up alone"))
        rows.append(("peak RSS per worker, MB", f"{max(bd['peak_mb'], bp['peak_mb']):.0f}", "< 120",
                     f"distinct {bd['peak_mb']:.0f}, personalised {bp['peak_mb']:.0f}"))
        if a.flat:
            (folder / "flat").mkdir()
            content, data = personalised(folder / "flat", a.flat)
            bf = run_batch([content], clinic, folder / "out-flat", a.jobs, data)
            rows.append((f"peak RSS per worker over {a.flat} copies, MB", f"{bf['peak_mb']:.0f}", "< 120",
                         f"{bf['docs_per_s']:.1f} docs/s"))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'booklet':<{width}}  {'value':>8}  {'target':>7}  notes")
    for name, value, target, note in rows:
        print(f"{name:<{width}}  {value:>8}  {target:>7}  {note}")
    engines = [e for e in a.peers.split(",") if e and e != "none"]
    if engines and not PEERS_PYTHON.exists():
        print(f"\npeers: skipped ({PEERS_PYTHON} missing; see {BENCH / 'README.md'})")
        engines = []
    for engine in engines:
        slow = engine == "weasyprint"  # about 0.8 s per document: fewer of them
        repeat = max(3, a.repeat // 4) if slow else a.repeat
        p = peer_in_process(engine, repeat)
        line = (f"\n{engine}: in process {p.get('median_ms', float('nan')):.1f} ms/doc (wall; first "
                f"{p.get('first_ms', float('nan')):.0f} ms, median of {repeat})")
        if engine == "typst":
            line += (f"; batch {a.docs} distinct {statistics.median(typst_distinct):.1f} docs/s "
                     f"({', '.join(f'{x:.1f}' for x in typst_distinct)}); batch {a.docs} varying only the reference "
                     f"{statistics.median(typst_ref):.1f} docs/s ({', '.join(f'{x:.1f}' for x in typst_ref)}); "
                     f"jobs={a.jobs}, each round right after booklet's")
        elif engine == "weasyprint":
            docs = max(10, a.docs // 10)
            line += f"; batch {docs} distinct {peer_batch(engine, docs, a.jobs, 'all') or float('nan'):.1f} docs/s"
        print(line)
    if typst:
        ratios_d = [b["docs_per_s"] / t for b, t in zip(distinct, typst_distinct, strict=True)]
        ratios_p = [b["docs_per_s"] / t for b, t in zip(personal, typst_ref, strict=True)]
        print(f"booklet / typst: distinct {bd['docs_per_s'] / statistics.median(typst_distinct):.2f}x [>= 0.4x] "
              f"(rounds {', '.join(f'{x:.2f}' for x in ratios_d)}), personalised "
              f"{bp['docs_per_s'] / statistics.median(typst_ref):.2f}x of its mail-merge [>= 1.0x] "
              f"(rounds {', '.join(f'{x:.2f}' for x in ratios_p)})")
    if a.mailing:
        print(f"\nmailing: {a.mailing} personalised copies on a Dask LocalCluster of {a.jobs} workers "
              "(benchmarks/mailing.py):")
        for line in mailing(a.mailing, a.jobs):
            print(f"  {line}")
    load_after = os.getloadavg()
    print(f"\nload average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, after "
          f"{' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} cores"
          + ("  (shared machine: prefer the CPU figures)" if max(load_before[0], load_after[0]) > (os.cpu_count() or 1)
             else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
