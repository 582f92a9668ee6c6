"""`booklet watch` (issue 14): a rebuild after every save of the handout, the clinic profile or a picture,
the last good PDF kept when a save has a mistake."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from booklet import api
from booklet.errors import BookletError
from booklet.watch import rebuilds, wait_for_change

#: The issue's promise is "within a second" for the example; the test allows 5 on a busy machine.
SAVE_SHOWS_WITHIN = 5.0
#: The first build also imports ReportLab and reads the fonts.
FIRST_BUILD_WITHIN = 60.0

HANDOUT = """title: {title}
sections:
  - heading: Before the test
    body:
      - Drink plenty of water.
"""


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def save(path: Path, text: str) -> None:
    """Save as many editors do: a new file renamed over the old one."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_text(text, encoding="utf-8")
    fresh.replace(path)


# -- the loop, in process ------------------------------------------------------------------------------
def test_rebuilds_after_a_change_to_any_input_and_reports_mistakes(tmp_path: Path) -> None:
    handout, picture = tmp_path / "h.yaml", tmp_path / "p.svg"
    handout.write_text("one", encoding="utf-8")
    picture.write_text("<svg/>", encoding="utf-8")

    def build() -> api.Result:
        text = handout.read_text(encoding="utf-8")
        if "mistake" in text:
            raise BookletError.at(handout, "a mistake")
        return api.Result(text.encode(), 1, (), inputs=(handout, picture))

    runs = rebuilds(build, [handout], poll=0.01)
    first = next(runs)
    assert (first.result.pdf if first.result else None, first.changed) == (b"one", ())
    save(picture, "<svg></svg>")  # known from the first build's inputs
    assert next(runs).changed == (picture,)
    save(handout, "a mistake")
    refused = next(runs)
    assert refused.result is None
    assert str(refused.error) == f"{handout}: error: a mistake"
    save(handout, "three")
    fixed = next(runs)
    assert fixed.result is not None
    assert (fixed.result.pdf, fixed.changed) == (b"three", (handout,))


def test_a_file_that_appears_is_a_change(tmp_path: Path) -> None:
    missing = tmp_path / "clinic.yaml"
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 3:
            missing.write_text("name: x", encoding="utf-8")

    assert wait_for_change({missing: None}, poll=0.01, sleep=nap) == (missing,)


# -- the command, in its own process ---------------------------------------------------------------------
@pytest.fixture
def watching(tmp_path: Path):  # type: ignore[no-untyped-def]
    handout = tmp_path / "handout.yaml"
    handout.write_text(HANDOUT.format(title="First title"), encoding="utf-8")
    out, log = tmp_path / "out.pdf", tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "booklet", "watch", handout.name, "-o", out.name,
                                    "--no-clinic"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield handout, out, log, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_watch_rebuilds_a_saved_handout(watching, pdf_text: Callable[..., str]) -> None:  # type: ignore[no-untyped-def]
    handout, out, log, process = watching
    assert wait_until(out.exists, FIRST_BUILD_WITHIN), log.read_text()
    assert "First title" in pdf_text(out)

    save(handout, HANDOUT.format(title="Second title"))
    assert wait_until(lambda: "Second title" in pdf_text(out.read_bytes()), SAVE_SHOWS_WITHIN), log.read_text()

    good = out.read_bytes()
    save(handout, HANDOUT.format(title="[unclosed"))
    assert wait_until(lambda: "not rebuilt" in log.read_text(), SAVE_SHOWS_WITHIN), log.read_text()
    assert out.read_bytes() == good

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    lines = log.read_text().splitlines()
    assert lines[0] == "watching handout.yaml and the pictures it uses; stop with Ctrl-C"
    assert re.fullmatch(r"\d\d:\d\d:\d\d wrote out\.pdf \(4 pages\) in \d+\.\d\d s", lines[1])
    assert lines[2].endswith(" s after a change to handout.yaml")
    assert re.match(r"handout\.yaml:\d+:\d+: error: YAML syntax error", lines[3])
    assert lines[-2].endswith(" not rebuilt after a change to handout.yaml; out.pdf is the last good one. "
                              "Waiting for the next save.")
    assert lines[-1] == "stopped watching"


# -- the command's words, in process (the loop replaced by two builds) ----------------------------------------
def test_watch_opens_the_pdf_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click
    from conftest import invoke_cli

    import booklet.watch

    handout = tmp_path / "handout.yaml"
    handout.write_text(HANDOUT.format(title="Opened"), encoding="utf-8")
    launched: list[str] = []
    monkeypatch.setattr(click, "launch", lambda target, **_: launched.append(target) or 0)

    def two_builds(build: Callable[[], api.Result], files: list[Path], **_: object):  # type: ignore[no-untyped-def]
        assert files == [handout]
        for changed in ((), (handout,)):
            yield booklet.watch.Rebuild(build(), None, 0.5, changed)

    monkeypatch.setattr(booklet.watch, "rebuilds", two_builds)
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = invoke_cli("watch", handout, "--open", "--no-clinic", "-o", "opened.pdf")
    assert (code, stdout) == (0, "")
    assert launched == ["opened.pdf"]
    assert re.fullmatch(rf"watching {re.escape(str(handout))} and the pictures it uses; stop with Ctrl-C\n"
                        r"\d\d:\d\d:\d\d wrote opened\.pdf \(4 pages\) in 0\.50 s\n"
                        r"\d\d:\d\d:\d\d wrote opened\.pdf \(4 pages\) in 0\.50 s after a change to handout\.yaml\n",
                        stderr)


def test_watch_writes_a_file_not_standard_output(tmp_path: Path) -> None:
    from conftest import invoke_cli

    handout = tmp_path / "handout.yaml"
    handout.write_text(HANDOUT.format(title="T"), encoding="utf-8")
    assert invoke_cli("watch", handout, "-o", "-") == (
        2, "", "-o -: error: watch writes a file, which PDF viewers reload after each build\n"
               "  hint: give -o FILE.pdf, or leave -o out for the usual name\n")
