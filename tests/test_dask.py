"""`booklet batch --scheduler`: a mailing on a Dask cluster (booklet/cluster.py), against a LocalCluster
(a scheduler and two worker processes) that this module starts, with a manifest and --resume.

The CLI runs as a separate process, as it would beside a real cluster. About 30 s in all on 2 cores,
most of it the 200 copies and the workers' first import of booklet.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import squash
from pypdf import PdfReader
from test_batch import PERSONAL, write_csv

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

COPIES = 200
FIRST = ["Zoë", "Siobhán", "François", "Łucja", "Nguyễn Thị", "D'Arcy", "Ørjan", "Ana María"]
LAST = ["O'Brien", "Müller", "Nuñez", "Dvořák", "Thanh Hà", "N'Diaye", "Ångström", "García-López"]


@pytest.fixture(scope="module")
def scheduler():  # type: ignore[no-untyped-def]
    """The address of a local Dask scheduler with two single-threaded worker processes."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster.scheduler_address


def booklet(*args: str | Path, cwd: Path, connect: str = "10s") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": connect}
    return subprocess.run([sys.executable, "-m", "booklet", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def mailing(tmp_path: Path, copies: int = COPIES) -> tuple[Path, Path, list[str]]:
    (tmp_path / "letter.yaml").write_text(PERSONAL, encoding="utf-8")
    names = [f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}" for i in range(copies)]
    data = write_csv(tmp_path / "mailing.csv", [["patient_id", "patient_name"]]
                     + [[f"P{i:04d}", name] for i, name in enumerate(names, 1)], bom=True)
    return tmp_path / "letter.yaml", data, names


def lines(manifest: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_a_mailing_on_the_cluster_is_recorded_and_resumed(scheduler, tmp_path):
    content, data, names = mailing(tmp_path)
    out, manifest = tmp_path / "out", tmp_path / "mailing.jsonl"
    args = ("batch", content, "--data", data, "--name", "{{ patient_id }}-letter", "--out", out,
            "--manifest", manifest, "--scheduler", scheduler)
    done = booklet(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{COPIES} written, 0 failed" in done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == [f"P{i:04d}-letter.pdf" for i in range(1, COPIES + 1)]  # no temporary or other files
    records = lines(manifest)
    assert len(records) == COPIES
    assert all(list(r) == ["row", "file", "pages", "sha256", "status", "message"] for r in records)
    assert sorted(r["row"] for r in records) == list(range(1, COPIES + 1))
    for r in records:
        assert (r["file"], r["status"], r["message"]) == (f"P{r['row']:04d}-letter.pdf", "written", None)
        assert r["sha256"] == sha256(out / r["file"])
        assert r["pages"] == len(PdfReader(str(out / r["file"])).pages)
    for row in (1, 8, 77, COPIES):  # each copy holds its own patient's accented name
        text = " ".join(p.extract_text() for p in PdfReader(str(out / f"P{row:04d}-letter.pdf")).pages)
        assert squash(f"Dear {names[row - 1]}, your hospital number is P{row:04d}") in squash(text)
    for name in names:  # progress and messages name rows, never a patient
        assert name not in done.stderr

    # --resume after a complete run: nothing is made again, nothing is touched
    before = mtimes(out)
    again = booklet(*args, "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"0 written, 0 failed, {COPIES} skipped" in again.stderr
    assert mtimes(out) == before
    assert len(lines(manifest)) == COPIES

    # three copies lost and one corrupted: exactly those four are made again, the same bytes as before
    lost = ["P0003-letter.pdf", "P0100-letter.pdf", "P0200-letter.pdf"]
    corrupt = "P0042-letter.pdf"
    for name in lost:
        (out / name).unlink()
    (out / corrupt).write_bytes((out / corrupt).read_bytes()[:-100])
    before = mtimes(out)
    third = booklet(*args, "--resume", cwd=tmp_path)
    assert third.returncode == 0, third.stderr
    assert f"4 written, 0 failed, {COPIES - 4} skipped" in third.stderr
    after = mtimes(out)
    assert sorted(n for n in after if after[n] != before.get(n)) == sorted([*lost, corrupt])
    records = lines(manifest)
    assert sorted(r["file"] for r in records[COPIES:]) == sorted([*lost, corrupt])
    first = {r["file"]: r["sha256"] for r in records[:COPIES]}
    for r in records[COPIES:]:
        assert r["sha256"] == sha256(out / r["file"]) == first[r["file"]]


def test_an_unreachable_scheduler_stops_before_anything_starts(tmp_path):
    content, data, _ = mailing(tmp_path)
    done = booklet("batch", content, "--data", data, "--out", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9",
                   cwd=tmp_path, connect="1s")
    assert done.returncode == 2
    assert done.stderr.startswith("--scheduler: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 (")
    assert "  hint: check the address and port" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("address", "reason"), [
    ("scheduler-host", "missing port number in address 'scheduler-host'"),
    ("http://scheduler-host:8786", "unknown address scheme 'http'"),
])
def test_a_malformed_address_is_refused(run_cli, tmp_path, address, reason):
    content, data, _ = mailing(tmp_path)
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out", "--scheduler", address)
    assert code == 2
    assert err.startswith(f"--scheduler: error: '{address}' is not the address of a Dask scheduler ({reason}")
    assert err.endswith("  hint: give it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786\n")


def test_without_dask_the_error_says_what_to_install(run_cli, tmp_path, monkeypatch):
    content, data, _ = mailing(tmp_path)
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails as if not installed
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out",
                           "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert err == ("--scheduler: error: running on a Dask cluster needs Dask, which is not installed\n"
                   "  hint: install it with: pip install 'booklet[dask]'\n")


def test_jobs_and_scheduler_together_are_refused(run_cli, tmp_path):
    content, data, _ = mailing(tmp_path)
    code, _, err = run_cli("batch", content, "--data", data, "--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert err.startswith("--jobs: error: --jobs sets how many local processes to use, but --scheduler runs")


def test_dask_is_imported_only_with_scheduler(tmp_path):
    content, data, _ = mailing(tmp_path, 3)
    code = f"""
import sys
from booklet.cli import main
try:
    main(["batch", {str(content)!r}, "--data", {str(data)!r}, "--out", {str(tmp_path / 'out')!r}, "--jobs", "1",
          "-q"])
except SystemExit as exit:
    assert exit.code == 0, exit.code
print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.strip() == "[]"
    assert len(list((tmp_path / "out").iterdir())) == 3
