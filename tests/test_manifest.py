"""`booklet batch --manifest` and `--resume` on the local process pool (booklet/manifest.py); the same on a
Dask cluster is in test_dask.py."""

from __future__ import annotations

import fcntl
import hashlib
import json
from pathlib import Path

import pytest
from test_batch import PERSONAL, write_csv

KEYS = ["row", "file", "pages", "sha256", "status", "message"]


def mailing(tmp_path: Path, rows: int = 12, missing: int = 5) -> tuple[Path, Path]:
    content = tmp_path / "letter.yaml"
    content.write_text(PERSONAL, encoding="utf-8")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"]]
                     + [[f"P{i:03d}", "" if i == missing else f"Zoë Nuñez {i}"] for i in range(1, rows + 1)])
    return content, data


def lines(manifest: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_manifest_records_every_copy_and_resume_makes_only_what_is_missing(run_cli, tmp_path, jobs):
    content, data = mailing(tmp_path)
    out, manifest = tmp_path / "out", tmp_path / "m.jsonl"
    args = ("batch", content, "--data", data, "--name", "{{ patient_id }}", "--out", out, "--manifest", manifest,
            "--jobs", jobs)
    code, _, err = run_cli(*args)
    assert code == 1  # row 5 has no name
    assert "11 written, 1 failed (" in err
    records = lines(manifest)
    assert len(records) == 12
    assert all(list(r) == KEYS for r in records)
    failed = [r for r in records if r["status"] == "failed"]
    assert failed == [{"row": 5, "file": None, "pages": 0, "sha256": None, "status": "failed", "message": (
        f"{data}:6: error: row 5 has no value in the column 'patient_name' (column B), which letter.yaml needs "
        "for {{ patient_name }}\n  hint: fill in the cell, or leave the row out")}]
    for r in records:
        if r["status"] == "written":
            assert r["file"] == f"P{r['row']:03d}.pdf"
            assert r["sha256"] == hashlib.sha256((out / r["file"]).read_bytes()).hexdigest()
            assert r["pages"] == 4
            assert r["message"] is None

    before = mtimes(out)
    code, _, err = run_cli(*args, "--resume")
    assert code == 1
    assert "0 written, 1 failed, 11 skipped (complete in the manifest and on disk)" in err
    assert mtimes(out) == before
    assert [r["row"] for r in lines(manifest)[12:]] == [5]  # the failed row is tried again

    (out / "P002.pdf").unlink()
    (out / "P009.pdf").write_bytes(b"%PDF-1.4 not the copy that was written")
    code, _, err = run_cli(*args, "--resume")
    assert "2 written, 1 failed, 9 skipped" in err
    after = mtimes(out)
    assert sorted(n for n in after if after[n] != before.get(n)) == ["P002.pdf", "P009.pdf"]
    assert sorted(r["row"] for r in lines(manifest)[13:]) == [2, 5, 9]


def test_a_new_run_starts_the_manifest_afresh_but_one_that_cannot_start_leaves_it(run_cli, tmp_path):
    content, data = mailing(tmp_path, rows=3, missing=0)
    manifest = tmp_path / "m.jsonl"
    for _ in range(2):
        assert run_cli("batch", content, "--data", data, "--out", tmp_path / "out", "--manifest", manifest)[0] == 0
        assert len(lines(manifest)) == 3
    kept = manifest.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text('patient_id,patient_name\nP1,"Ann\n', encoding="utf-8")
    code, _, err = run_cli("batch", content, "--data", bad, "--out", tmp_path / "out", "--manifest", manifest)
    assert code == 2
    assert err.startswith(f"{bad}:2: error: the CSV cannot be read")
    assert manifest.read_bytes() == kept


def test_a_line_cut_short_by_a_crash_is_dropped_and_its_copy_made_again(run_cli, tmp_path):
    content, data = mailing(tmp_path, rows=4, missing=0)
    out, manifest = tmp_path / "out", tmp_path / "m.jsonl"
    args = ("batch", content, "--data", data, "--out", out, "--manifest", manifest)
    assert run_cli(*args)[0] == 0
    text = manifest.read_text(encoding="utf-8")
    last = text.splitlines()[-1]
    manifest.write_text(text[:len(text) - len(last) - 1] + last[:40], encoding="utf-8")  # power cut mid-line
    code, _, err = run_cli(*args, "--resume")
    assert code == 0, err
    assert "1 written, 0 failed, 3 skipped" in err
    records = lines(manifest)  # every line whole again
    assert len(records) == 4
    assert records[-1]["row"] == json.loads(last)["row"]


def test_a_manifest_that_is_not_one_is_refused(run_cli, tmp_path):
    content, data = mailing(tmp_path, rows=2, missing=0)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"row": 1}\n{"row": 2, "file": "2.pdf"}\n', encoding="utf-8")
    code, _, err = run_cli("batch", content, "--data", data, "--manifest", manifest, "--resume")
    assert code == 2
    assert err == (f"{manifest}:1: error: this line is not a line of a booklet manifest\n"
                   "  hint: give the file `booklet batch --manifest` wrote, or leave out --resume to start again\n")


def test_resume_needs_a_manifest(run_cli, tmp_path):
    content, data = mailing(tmp_path, rows=2, missing=0)
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out", "--resume")
    assert code == 2
    assert err == ("--resume: error: --resume needs the manifest of the run to go on with\n"
                   "  hint: add --manifest with the file that run wrote, e.g. --manifest out/manifest.jsonl\n")
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out", "--resume",
                           "--manifest", tmp_path / "none.jsonl")
    assert code == 2
    assert err.startswith(f"{tmp_path / 'none.jsonl'}: error: there is no manifest here to resume from\n")
    assert not (tmp_path / "out").exists()


def test_two_runs_cannot_share_a_manifest(run_cli, tmp_path):
    content, data = mailing(tmp_path, rows=2, missing=0)
    manifest = tmp_path / "m.jsonl"
    with open(manifest, "a") as other:  # another `booklet batch` holding it
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out", "--manifest", manifest)
    assert code == 2
    assert err.startswith(f"{manifest}: error: another `booklet batch` is using this manifest\n")


def test_a_new_manifest_may_be_kept_in_the_out_folder_the_run_makes(run_cli, tmp_path):
    content, data = mailing(tmp_path, rows=3, missing=0)
    out = tmp_path / "mailing" / "week 1"
    manifest = out / "manifest.jsonl"
    args = ("batch", content, "--data", data, "--name", "{{ patient_id }}", "--out", out, "--manifest", manifest)
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert sorted(r["file"] for r in lines(manifest)) == ["P001.pdf", "P002.pdf", "P003.pdf"]  # as they finish
    code, _, err = run_cli(*args, "--resume")
    assert code == 0, err
    assert "0 written, 0 failed, 3 skipped" in err
    # a manifest in a folder that does not exist and is not --out is refused before anything is made
    elsewhere = tmp_path / "nowhere" / "m.jsonl"
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out2", "--manifest", elsewhere)
    assert code == 2
    assert err.startswith(f"{elsewhere}: error: cannot write the manifest")
    assert not (tmp_path / "out2").exists()
