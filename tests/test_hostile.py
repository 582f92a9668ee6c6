"""Hostile and broken input (issue 6): every path prints literally or refuses cleanly; nothing leaks or is lost."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import (
    extract_text,
    fonts_of,
    invoke_cli,
    is_standard_14,
    page_chars,
    page_texts_of,
    squash,
    without_footers,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from booklet import api
from booklet.errors import BookletError
from booklet.scripts import needs_shaping
from booklet.text import plain
from booklet.validate import BLOCK_KINDS, CALLOUT_FIELDS, HANDOUT_FIELDS, SECTION_FIELDS, TABLE_FIELDS, read_handout

QR_URL = "https://example.org/leaflet"


def cve_payload(marker: Path) -> str:
    """CVE-2023-33733: code execution through <font color>; on a vulnerable ReportLab it creates `marker`."""
    return (
        "<font color=\"[[[getattr(pow, Word('__globals__'))['os'].system('touch " + str(marker) + "') for Word in "
        "[ orgTypeFun( 'Word', (str,), { 'mutated': 1, 'startswith': lambda self, x: 1 == 0, '__eq__': lambda self, "
        "x: self.mutate() and self.mutated < 0 and str(self) == x, 'mutate': lambda self: { setattr(self, 'mutated', "
        "self.mutated - 1) }, '__hash__': lambda self: hash(str(self)), }, ) ] ] for orgTypeFun in [type(type(1))] ] "
        "and 'red'\">exploit</font>"
    )


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


#: Every printed text field of a handout and a clinic profile, by the tag that marks it in the PDF.
HANDOUT_FIELD_TAGS = ("title", "subtitle", "audience", "reference", "author", "source", "summary", "heading",
                      "keypoint", "paragraph", "bullet", "step", "column", "cell", "callouttitle", "callouttext",
                      "calloutbullet", "term", "definition", "question", "caption", "qrcaption")
CLINIC_FIELD_TAGS = ("name", "address", "phone", "email", "website", "hours", "urgent", "formats")


#: Fields drawn on the cover, where a few lines is all there is room for.
COVER_TAGS = ("title", "subtitle", "audience", "name")


def field_text(tag: str, payload: str, cover_payload: str) -> str:
    """What the field `tag` holds: its tag and the payload (cut to 40 characters for the reference, a short code)."""
    if tag == "reference":
        return f"R {payload}"[:40]
    return f"F{tag} {cover_payload if tag in COVER_TAGS else payload}"


def hostile_files(folder: Path, payload: str, cover_payload: str | None = None) -> tuple[Path, Path]:
    """A handout and a clinic profile with `payload` in every text field, each field's text starting with a tag.

    `cover_payload` (default: `payload`) goes in the fields drawn on the cover.
    """
    t = {tag: q(field_text(tag, payload, cover_payload or payload)) for tag in HANDOUT_FIELD_TAGS + CLINIC_FIELD_TAGS}
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 200), "#3366AA").save(folder / "images" / "pic.png")
    handout = folder / "handout.yaml"
    handout.write_text(f"""\
title: {t['title']}
subtitle: {t['subtitle']}
audience: {t['audience']}
reference: {t['reference']}
authors: [{t['author']}]
sources: [{t['source']}]
summary: [{t['summary']}]
sections:
  - heading: {t['heading']}
    key_points: [{t['keypoint']}]
    body:
      - {t['paragraph']}
      - "Fset {{{{ v }}}}"
      - bullets: [{t['bullet']}]
      - steps: [{t['step']}]
      - table:
          columns: [{t['column']}, Plain]
          rows: [[{t['cell']}, x]]
      - callout:
          kind: warning
          title: {t['callouttitle']}
          text: {t['callouttext']}
          bullets: [{t['calloutbullet']}]
      - glossary: {{{t['term']}: {t['definition']}}}
      - questions: [{t['question']}]
      - image:
          src: images/pic.png
          alt: {q('Falt ' + payload)}
          caption: {t['caption']}
      - qr: {{url: "{QR_URL}", caption: {t['qrcaption']}}}
""", encoding="utf-8")
    clinic = folder / "clinic.yaml"
    clinic.write_text(f"""\
name: {t['name']}
address: {t['address']}
phone: {t['phone']}
email: {t['email']}
website: {t['website']}
hours: {t['hours']}
urgent: {t['urgent']}
alternative_formats: {t['formats']}
""", encoding="utf-8")
    return handout, clinic


def links(path: Path) -> list[tuple[str, str]]:
    out = []
    for page in PdfReader(path).pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            action = a.get("/A")
            out.append((str(a.get("/Subtype")), str(action.get("/URI")) if action else repr(a.get("/Dest"))))
    return out


INJECTIONS = [
    pytest.param("<b>", id="b"),
    pytest.param("</para>", id="close-para"),
    pytest.param('<img src="/etc/passwd">', id="img"),
    pytest.param('<a href="javascript:alert(1)">x</a>', id="javascript-link"),
    pytest.param("&nbsp;", id="nbsp"),
    pytest.param("&", id="amp"),
    pytest.param("<", id="lt"),
    pytest.param(">", id="gt"),
    pytest.param("CVE", id="cve-2023-33733"),
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_every_field_prints_literally(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "MARKER"
    cover = payload
    if payload == "CVE":
        payload = cve_payload(marker)
        # The whole payload is far too long for a cover (that is refused: see test_cover_text_too_long...).
        cover = "<font color=\"[[[getattr(pow, Word('__globals__'))['os'].system('id')]]] and 'red'\">x</font>"
    handout, clinic = hostile_files(tmp_path, payload, cover)
    out = tmp_path / "out.pdf"
    set_value = f"{payload} {{{{ other }}}}"
    code, stdout, stderr = invoke_cli("build", handout, "--clinic", clinic, "--set", f"v={set_value}",
                                      "--set", "other=EXPANDED", "-o", out)
    assert code == 0, stderr
    assert (stdout, "Traceback" in stderr) == ("", False)
    text = squash(without_footers(page_texts_of(out)))
    for tag in HANDOUT_FIELD_TAGS + CLINIC_FIELD_TAGS:
        assert squash(field_text(tag, payload, cover)) in text, tag
    assert squash(f"Fset {set_value}") in text
    assert "EXPANDED" not in text
    assert not marker.exists()
    assert links(out) == [("/Link", QR_URL)] * 2  # the QR code and its address printed under it: nothing else
    reader = PdfReader(out)
    assert reader.metadata.title == f"Ftitle {cover}"
    assert reader.metadata.author == f"Fname {cover}"
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline == ["At a glance", f"Fheading {payload}"]
    assert [f.base_font for f in fonts_of(out) if is_standard_14(f.base_font) or not f.embedded] == []


def test_only_the_formats_own_marks_become_formatting(tmp_path: Path) -> None:
    source = tmp_path / "h.yaml"
    source.write_text('title: T\nsections:\n  - heading: H\n    body:\n'
                      '      - "**Bold** and *italic* and <b>not</b>"\n', encoding="utf-8")
    out = tmp_path / "out.pdf"
    assert invoke_cli("build", source, "-o", out)[0] == 0
    assert "Bold and italic and <b>not</b>" in extract_text(out)
    page = page_chars(out)[1]
    line = [(ch, font.split("+")[-1]) for ch, size, x0, x1, top, bottom, font in page.chars if size == 12]
    text = "".join(ch for ch, _ in line)
    start = text.index("Bold and italic")
    faces = [font for _, font in line[start:start + len("Bold and italic and <b>not</b>")]]
    assert faces[:4] == ["DejaVuSans-Bold"] * 4
    assert faces[9:15] == ["DejaVuSans-Oblique"] * 6
    assert set(faces[20:]) == {"DejaVuSans"}


@pytest.mark.parametrize(("field", "expected"), [
    ("title", "{h}:1:8: error: the title and subtitle are too long to fit on the cover\n"
              "  hint: shorten them; details belong in the first section\n"),
    ("audience", "{h}:2:11: error: the audience is too long to fit on the cover\n  hint: shorten it to a sentence\n"),
    ("name", "{c}:1:7: error: the clinic name is too long to fit on the cover\n"
             "  hint: shorten it to one or two lines\n"),
])
def test_cover_text_too_long_for_the_cover_is_refused(tmp_path: Path, field: str, expected: str) -> None:
    long = " ".join(["lengthy"] * 120)
    handout = tmp_path / "h.yaml"
    handout.write_text(f"title: {long if field == 'title' else 'T'}\naudience: {long if field == 'audience' else 'A'}\n"
                       "sections:\n  - heading: H\n    body: [Hello]\n", encoding="utf-8")
    clinic = tmp_path / "c.yaml"
    clinic.write_text(f"name: {long if field == 'name' else 'C'}\n", encoding="utf-8")
    out = tmp_path / "out.pdf"
    code, stdout, stderr = invoke_cli("build", handout, "--clinic", clinic, "-o", out)
    assert (code, stdout, stderr) == (2, "", expected.format(h=handout, c=clinic))
    assert not out.exists()


def test_long_title_is_shortened_in_the_footer_only(tmp_path: Path) -> None:
    title = ("Having a CT scan of your chest, abdomen and pelvis with contrast: information for patients, "
             "their families and carers")
    handout = tmp_path / "h.yaml"
    handout.write_text(f"title: {q(title)}\nreference: RAD-0042\nsections:\n  - heading: H\n    body: [Hello]\n",
                       encoding="utf-8")
    out = tmp_path / "out.pdf"
    code, _, stderr = invoke_cli("build", handout, "-o", out)
    assert code == 0, stderr
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert squash(title) in squash(pages[0])
    footer = squash(pages[1]).split(squash("RAD-0042"))[0]
    assert footer.endswith("...·")
    assert squash(title).startswith(footer[:-4])
    assert [c for p in page_chars(out) for c in p.chars if c[5] > p.height + 0.5 or c[4] < -0.5] == []


# -- files -------------------------------------------------------------------------------
@pytest.fixture
def content_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (40, 40), "red").save(tmp_path / "outside.png")
    Image.new("RGB", (40, 40), "blue").save(folder / "images" / "ok.png")
    os.symlink(tmp_path / "outside.png", folder / "images" / "link.png")
    os.symlink("/etc/passwd", folder / "images" / "passwd.png")
    return folder


def file_refusal(kind: str, src: str, yaml_name: str, folder: Path) -> str:
    if kind == "url":
        return f"{kind_word(yaml_name)} '{src}' is a URL; only local files can be used\n" \
               "  hint: download the file, save it next to the YAML file and give its name"
    hint = (f"  hint: put the file in {folder.resolve()} (or a folder inside it) "
            f"and give its path relative to {yaml_name}")
    if kind == "absolute":
        return f"{kind_word(yaml_name)} '{src}' is an absolute path; give a path relative to {yaml_name}\n{hint}"
    return f"{kind_word(yaml_name)} '{src}' is outside the folder of {yaml_name}\n{hint}"


def kind_word(yaml_name: str) -> str:
    return "logo" if yaml_name == "clinic.yaml" else "image"


BAD_SOURCES = [
    pytest.param("../outside.png", "outside", id="dotdot"),
    pytest.param("images/../../outside.png", "outside", id="dotdot-deep"),
    pytest.param("{tmp}/outside.png", "absolute", id="absolute"),
    pytest.param("images/link.png", "outside", id="symlink-out"),
    pytest.param("images/passwd.png", "outside", id="symlink-to-etc-passwd"),
    pytest.param("http://127.0.0.1:9/x.png", "url", id="http"),
    pytest.param("https://example.org/x.png", "url", id="https"),
    pytest.param("file:///etc/passwd", "url", id="file-url"),
    pytest.param("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
                 "url", id="data-url"),
]


@pytest.mark.parametrize(("src", "kind"), BAD_SOURCES)
def test_image_outside_the_folder_is_refused(content_folder: Path, src: str, kind: str) -> None:
    src = src.format(tmp=content_folder.parent)
    handout = content_folder / "handout.yaml"
    handout.write_text(f"title: T\nsections:\n  - heading: H\n    body:\n      - image:\n          src: {q(src)}\n"
                       "          alt: A picture\n", encoding="utf-8")
    out = content_folder / "out.pdf"
    code, stdout, stderr = invoke_cli("build", handout, "-o", out)
    assert (code, stdout) == (2, "")
    assert stderr == f"{handout}:6:16: error: {file_refusal(kind, src, 'handout.yaml', content_folder)}\n"
    assert not out.exists()


@pytest.mark.parametrize(("src", "kind"), BAD_SOURCES)
def test_logo_outside_the_clinic_folder_is_refused(content_folder: Path, src: str, kind: str) -> None:
    src = src.format(tmp=content_folder.parent)
    handout = content_folder / "handout.yaml"
    handout.write_text("title: T\nsections:\n  - heading: H\n    body: [Hello]\n", encoding="utf-8")
    clinic = content_folder / "clinic.yaml"
    clinic.write_text(f"name: Clinic\nlogo: {q(src)}\n", encoding="utf-8")
    out = content_folder / "out.pdf"
    code, stdout, stderr = invoke_cli("build", handout, "--clinic", clinic, "-o", out)
    assert (code, stdout) == (2, "")
    assert stderr == f"{clinic}:2:7: error: {file_refusal(kind, src, 'clinic.yaml', content_folder)}\n"
    assert not out.exists()


def test_assets_option_allows_one_more_folder_and_nothing_beyond(content_folder: Path) -> None:
    assets = content_folder.parent / "shared-assets"
    assets.mkdir()
    Image.new("RGB", (40, 40), "green").save(assets / "shared.png")
    handout = content_folder / "handout.yaml"
    body = "title: T\nsections:\n  - heading: H\n    body:\n      - image:\n          src: {src}\n          alt: A\n"
    out = content_folder / "out.pdf"
    handout.write_text(body.format(src="shared.png"), encoding="utf-8")
    code, _, stderr = invoke_cli("build", handout, "-o", out)
    assert (code, stderr) == (2, f"{handout}:6:16: error: image 'shared.png' was not found\n"
                                 f"  hint: looked in {content_folder.resolve()}\n")
    code, _, stderr = invoke_cli("build", handout, "--assets", assets, "-o", out)
    assert code == 0, stderr
    handout.write_text(body.format(src="../outside.png"), encoding="utf-8")
    out.unlink()
    code, _, stderr = invoke_cli("build", handout, "--assets", assets, "-o", out)
    assert code == 2
    assert stderr.startswith(f"{handout}:6:16: error: image '../outside.png' is outside the folder of handout.yaml\n")
    assert not out.exists()


def test_url_image_makes_no_network_connection(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    connections: list[object] = []
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except (TimeoutError, OSError):
                continue
            connections.append(addr)
            conn.close()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        # the listener works: a real connection is seen
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        deadline = time.monotonic() + 2
        while not connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(connections) == 1
        connections.clear()

        src = f"http://127.0.0.1:{port}/x.png"
        handout = tmp_path / "handout.yaml"
        handout.write_text(f"title: T\nsections:\n  - heading: H\n    body:\n      - image:\n          src: {src}\n"
                           "          alt: A\n", encoding="utf-8")
        clinic = tmp_path / "clinic.yaml"
        clinic.write_text(f"name: C\nlogo: {src}\n", encoding="utf-8")
        out = tmp_path / "out.pdf"
        code, _, stderr = invoke_cli("build", handout, "--clinic", clinic, "-o", out)
        assert code == 2
        assert f"image '{src}' is a URL" in stderr
        assert f"logo '{src}' is a URL" in stderr
        assert not out.exists()
        # an SVG that points at the URL (and at local files outside its folder) is drawn without them
        (tmp_path / "pic.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="90" '
            f'height="30"><image xlink:href="{src}" width="30" height="30"/><image href="{src}" x="30" width="30" '
            'height="30"/><image xlink:href="/etc/passwd" x="60" width="30" height="30"/>'
            '<rect width="5" height="5"/></svg>', encoding="utf-8")
        handout.write_text("title: T\nsections:\n  - heading: H\n    body:\n      - image:\n          src: pic.svg\n"
                           "          alt: A\n", encoding="utf-8")
        code, _, stderr = invoke_cli("build", handout, "--no-clinic", "-o", out)  # not the clinic.yaml above
        assert code == 0, stderr
        time.sleep(0.3)
        assert connections == []
    finally:
        stop.set()
        thread.join(2)
        server.close()


# -- resources -----------------------------------------------------------------------------
def run_cli_timed(*args: str | Path) -> tuple[int, str, float]:
    start = time.perf_counter()
    code, _, stderr = invoke_cli(*args)
    return code, stderr, time.perf_counter() - start


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    lines = ['lol0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"lol{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    lines += ["title: *a11", "sections: *a11"]
    source = tmp_path / "bomb.yaml"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, stderr, seconds = run_cli_timed("build", source, "-o", tmp_path / "out.pdf")
    assert code == 2
    assert seconds < 2
    assert stderr == (f"{source}:1:7: error: YAML anchors (&a0) are not allowed in a handout\n"
                      "  hint: remove the '&' name; write repeated text out in full\n")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "deep.yaml"
    source.write_text("title: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    code, stderr, seconds = run_cli_timed("build", source, "-o", tmp_path / "out.pdf")
    assert code == 2
    assert seconds < 2
    assert stderr == (f"{source}:1:19: error: the YAML is nested more than 12 levels deep\n"
                      "  hint: a handout never needs this; check the indentation\n")


def test_six_megabytes_of_yaml_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "big.yaml"
    source.write_bytes(b"title: T\nsections:\n" + b"  - heading: H\n    body: [p]\n" * (6 * 1024 * 1024 // 30))
    code, stderr, seconds = run_cli_timed("build", source, "-o", tmp_path / "out.pdf")
    assert code == 2
    assert seconds < 2
    assert stderr == (f"{source}: error: the file is larger than 5 MB\n"
                      "  hint: a handout is text; split it or take out embedded data\n")


MEASURE = """
import atexit, os, sys
from pathlib import Path

def peak():  # VmHWM: this program's own peak memory (ru_maxrss would include the forking parent's)
    status = Path("/proc/self/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    Path(os.environ["PEAK_FILE"]).write_text(str(kb))

atexit.register(peak)
from booklet.cli import main
sys.argv = ["booklet", *sys.argv[1:]]
main()
"""


def build_measured(handout: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Build in a fresh Python: (the process, seconds, its own peak memory in MB)."""
    peak_file = out.parent / "peak"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, "build", str(handout), "-o", str(out)], check=False,
                          capture_output=True, text=True, env={**os.environ, "PEAK_FILE": str(peak_file)}, timeout=60)
    return proc, time.perf_counter() - start, int(peak_file.read_text()) / 1024


def image_handout(folder: Path, name: str, save) -> Path:  # type: ignore[no-untyped-def]
    (folder / "images").mkdir(exist_ok=True)
    save(folder / "images" / name)
    handout = folder / "handout.yaml"
    handout.write_text("title: T\nsections:\n  - heading: H\n    body:\n      - image:\n"
                       f"          src: images/{name}\n          alt: A\n", encoding="utf-8")
    return handout


@pytest.mark.parametrize(("name", "size", "message"), [
    # past Pillow's own bomb error: refused as Pillow reads the header
    ("bomb.png", (20_000, 20_000), "the image is over the limit of 16 megapixels for a PNG"),
    ("bomb.jpg", (20_000, 20_000), "the image is over the limit of 40 megapixels for a JPEG"),
    # Pillow only warns here; the size in the header is enough to refuse
    ("bomb.png", (10_000, 9_000), "the image is 10000 x 9000 pixels, over the limit of 16 megapixels for a PNG"),
    ("bomb.png", (4_500, 4_000), "the image is 4500 x 4000 pixels, over the limit of 16 megapixels for a PNG"),
    ("bomb.jpg", (7_000, 7_000), "the image is 7000 x 7000 pixels, over the limit of 40 megapixels for a JPEG"),
])
def test_decompression_bomb_is_refused_without_decoding(tmp_path: Path, name: str, size: tuple[int, int],
                                                        message: str) -> None:
    if name.endswith(".png"):
        handout = image_handout(tmp_path, name, lambda p: Image.new("1", size).save(p, optimize=True))
    else:  # a JPEG header claiming the size over a tiny image: no need to compress gigapixels here
        def fake_jpeg(p: Path) -> None:
            Image.new("L", (8, 8)).save(p, "JPEG")
            data = bytearray(p.read_bytes())
            sof = data.index(b"\xff\xc0")
            data[sof + 5:sof + 9] = size[1].to_bytes(2, "big") + size[0].to_bytes(2, "big")
            p.write_bytes(bytes(data))
        handout = image_handout(tmp_path, name, fake_jpeg)
    assert (tmp_path / "images" / name).stat().st_size < 200_000
    out = tmp_path / "out.pdf"
    proc, seconds, peak_mb = build_measured(handout, out)
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr == (f"{handout}:6:16: error: image 'images/{name}' cannot be used: {message}\n"
                           "  hint: make it smaller; 2,000 pixels across is plenty for a booklet\n")
    assert seconds < 5
    assert peak_mb < 200
    assert not out.exists()


@pytest.mark.parametrize(("name", "make"), [
    # the worst case under the limits: transparency doubles what Pillow holds while shrinking
    ("big.png", lambda p: Image.new("RGBA", (4000, 4000), (0, 0, 0, 0)).save(p, optimize=True)),
    ("big.jpg", lambda p: Image.new("RGB", (6000, 6500), "white").save(p, quality=30)),
])
def test_largest_allowed_images_build_in_bounded_memory(tmp_path: Path, name: str, make) -> None:  # type: ignore[no-untyped-def]
    handout = image_handout(tmp_path, name, make)
    out = tmp_path / "out.pdf"
    proc, seconds, peak_mb = build_measured(handout, out)
    assert proc.returncode == 0, proc.stderr
    assert seconds < 5
    assert peak_mb < 200
    images = [x for page in PdfReader(out).pages for x in page.images]
    assert len(images) == 1
    assert images[0].image.width <= 1500  # downsampled to 300 dpi at the placed size


def body_text(path: Path) -> str:
    """Squashed text of all pages without the running footers, so words split across pages join up."""
    return squash(without_footers(page_texts_of(path)))


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'


@pytest.mark.parametrize(("name", "svg", "message"), [
    ("many.svg", SVG_HEAD + '<rect width="1" height="1"/>' * 40_000 + "</svg>",
     "the SVG has more than 2,000 elements\n  hint: simplify the drawing, or save it as a PNG"),
    ("deep.svg", SVG_HEAD + "<g>" * 5_000 + '<rect width="1" height="1"/>' + "</g>" * 5_000 + "</svg>",
     "the SVG nests groups more than 40 deep\n  hint: simplify the drawing (ungroup it) and save it again"),
])
def test_svg_bombs_are_refused_fast(tmp_path: Path, name: str, svg: str, message: str) -> None:
    handout = image_handout(tmp_path, name, lambda p: p.write_text(svg, encoding="utf-8"))
    out = tmp_path / "out.pdf"
    code, stderr, seconds = run_cli_timed("build", handout, "-o", out)
    assert code == 2
    assert seconds < 2
    assert stderr == f"{handout}:6:16: error: image 'images/{name}' cannot be used: {message}\n"
    assert not out.exists()


@pytest.mark.parametrize(("name", "svg"), [
    ("laughs.svg", '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
     + "".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdefg", "bcdefgh", strict=True))
     + ']>' + SVG_HEAD + '<text x="1" y="10">&h;</text></svg>'),
    ("xxe.svg", '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SVG_HEAD
     + '<text x="1" y="10">&x;</text></svg>'),
])
def test_svg_entities_are_never_expanded(tmp_path: Path, name: str, svg: str) -> None:
    handout = image_handout(tmp_path, name, lambda p: p.write_text(svg, encoding="utf-8"))
    out = tmp_path / "out.pdf"
    code, stderr, seconds = run_cli_timed("build", handout, "-o", out)
    assert seconds < 3
    assert "Traceback" not in stderr
    if code == 0:
        text = extract_text(out)
        assert "aaaaaaaaaa" not in text
        assert "root:" not in text
    else:
        assert code == 2
        assert stderr.startswith(f"{handout}:6:16: error: image 'images/{name}' cannot be used: ")


def test_huge_placeholder_value_wraps(tmp_path: Path) -> None:
    source = tmp_path / "h.yaml"
    source.write_text('title: T\nsections:\n  - heading: H\n    body:\n      - "Start {{ v }} end"\n', encoding="utf-8")
    words = " ".join(f"word{i}" for i in range(2000))[:10_000]
    one_word = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    for value in (words, one_word):
        out = tmp_path / "out.pdf"
        code, _, stderr = invoke_cli("build", source, "--set", f"v={value}", "-o", out)
        assert code == 0, stderr
        assert squash(f"Start {value} end") in body_text(out)
        assert all(c[3] <= p.width + 0.5 for p in page_chars(out) for c in p.chars)


def test_two_thousand_character_word_wraps(tmp_path: Path) -> None:
    word = "".join(chr(ord("a") + (i * 5) % 26) for i in range(2000))
    source = tmp_path / "h.yaml"
    source.write_text(f"title: T\nsections:\n  - heading: H\n    body:\n      - Before {word} after\n"
                      f"      - bullets: [{word}]\n      - table:\n          columns: [A, B]\n"
                      f"          rows: [[{word}, short]]\n", encoding="utf-8")
    out = tmp_path / "out.pdf"
    code, _, stderr = invoke_cli("build", source, "-o", out)
    assert code == 0, stderr
    assert body_text(out).count(word) == 3
    assert all(c[3] <= p.width + 0.5 for p in page_chars(out) for c in p.chars)


# -- encodings ---------------------------------------------------------------------------
SAVE_AS = "  hint: save it from your editor as 'UTF-8' text (in Word: Save As > Plain Text > UTF-8)\n"
GOOD = ("title: Encoded\nsections:\n  - heading: Heading\n    body:\n"
        "      - Vi\u1ec7t Nam \u0142\u00f3d\u017a \u00e9t\u00e9\n")


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param(b"", "{p}: error: the file is empty\n  hint: write the handout in it, or pick another file\n",
                 id="empty"),
    pytest.param(b"title: T\x00\n", "{p}:1:1: error: the file contains NUL bytes: it is not a text file\n" + SAVE_AS,
                 id="nul"),
    pytest.param(b"title: caf\xe9\n", "{p}:1:11: error: the file is not UTF-8 text (or is not a text file)\n" + SAVE_AS,
                 id="latin-1"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "{p}:1:1: error: the file is not UTF-8 text (or is not a text file)\n"
                 + SAVE_AS, id="binary"),
    pytest.param(codecs.BOM_UTF16_LE + b"t\x00\x00\xd8", "{p}: error: the file says it is UTF-16 but is not valid "
                 "UTF-16\n" + SAVE_AS, id="broken-utf16"),
])
def test_unreadable_files_are_refused(tmp_path: Path, data: bytes, expected: str) -> None:
    source = tmp_path / "h.yaml"
    source.write_bytes(data)
    out = tmp_path / "out.pdf"
    code, stdout, stderr = invoke_cli("build", source, "-o", out)
    assert (code, stdout, stderr) == (2, "", expected.format(p=source))
    assert not out.exists()


@pytest.mark.parametrize("encode", [
    pytest.param(lambda s: s.encode("utf-16"), id="utf-16"),
    pytest.param(lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"), id="utf-16-be"),
    pytest.param(lambda s: codecs.BOM_UTF8 + s.encode(), id="utf-8-bom"),
    pytest.param(lambda s: s.replace("\n", "\r\n").encode(), id="crlf"),
    pytest.param(lambda s: unicodedata.normalize("NFD", s).encode(), id="nfd"),
])
def test_other_encodings_build_and_extract_as_nfc(tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "h.yaml"
    source.write_bytes(encode(GOOD))
    out = tmp_path / "out.pdf"
    code, _, stderr = invoke_cli("build", source, "-o", out)
    assert code == 0, stderr
    raw = "".join(page.extract_text() for page in PdfReader(out).pages)  # no normalisation here
    assert "Vi\u1ec7t Nam \u0142\u00f3d\u017a \u00e9t\u00e9" in raw
    assert unicodedata.normalize("NFD", "Vi\u1ec7t") not in raw
    assert "\x00" not in raw
    assert "\r" not in raw


# -- outputs -------------------------------------------------------------------------------
@pytest.fixture
def small_handout(tmp_path: Path) -> Path:
    source = tmp_path / "h.yaml"
    source.write_text("title: T\nsections:\n  - heading: H\n    body: [Hello]\n", encoding="utf-8")
    return source


def test_write_failure_mid_write_leaves_old_file_and_no_temp(small_handout: Path, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import errno

    import booklet.output

    out = small_handout.parent / "out.pdf"
    out.write_bytes(b"old booklet")
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f) -> None:  # type: ignore[no-untyped-def]
            self.f = f

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
            self.f.close()

        def fileno(self) -> int:
            return self.f.fileno()

        def write(self, data: bytes) -> int:
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(booklet.output.os, "fdopen", lambda fd, mode="r", *a, **k: HalfWriter(real_fdopen(fd, mode)))
    code, stdout, stderr = invoke_cli("build", small_handout, "-o", out)
    monkeypatch.undo()
    assert (code, stdout) == (2, "")
    assert stderr == (f"{out}: error: cannot write the output: No space left on device\n"
                      "  hint: check the disk and the path\n")
    assert out.read_bytes() == b"old booklet"
    assert sorted(p.name for p in small_handout.parent.iterdir()) == ["h.yaml", "out.pdf"]


def test_interrupt_mid_write_leaves_old_file_and_no_temp(small_handout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import booklet.output

    out = small_handout.parent / "out.pdf"
    out.write_bytes(b"old booklet")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(booklet.output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.build(small_handout, output=out)
    monkeypatch.undo()
    assert out.read_bytes() == b"old booklet"
    assert sorted(p.name for p in small_handout.parent.iterdir()) == ["h.yaml", "out.pdf"]


@pytest.mark.parametrize(("target", "expected"), [
    ("{d}", "{o}: error: the output path is a folder\n  hint: give a file name ending in .pdf\n"),
    ("{d}/missing/out.pdf", "{o}: error: the folder for the output does not exist\n"
                            "  hint: create the folder {d}/missing first or choose another output path\n"),
])
def test_bad_output_paths(small_handout: Path, target: str, expected: str) -> None:
    folder = small_handout.parent
    out = target.format(d=folder)
    code, stdout, stderr = invoke_cli("build", small_handout, "-o", out)
    assert (code, stdout, stderr) == (2, "", expected.format(o=out, d=folder))
    assert sorted(p.name for p in folder.iterdir()) == ["h.yaml"]


def test_output_over_an_input_file_is_refused(small_handout: Path) -> None:
    before = small_handout.read_bytes()
    code, stdout, stderr = invoke_cli("build", small_handout, "-o", small_handout)
    assert (code, stdout) == (2, "")
    assert stderr == (f"{small_handout}: error: the output would overwrite the input file {small_handout}\n"
                      "  hint: give the PDF its own name, ending in .pdf\n")
    assert small_handout.read_bytes() == before


def test_output_that_is_not_a_regular_file_is_refused(small_handout: Path) -> None:
    fifo = small_handout.parent / "pipe.pdf"
    os.mkfifo(fifo)
    code, _, stderr = invoke_cli("build", small_handout, "-o", fifo)
    assert code == 2
    assert stderr == f"{fifo}: error: the output path is not a regular file\n  hint: give a file name ending in .pdf\n"
    assert fifo.is_fifo()
    assert sorted(p.name for p in small_handout.parent.iterdir()) == ["h.yaml", "pipe.pdf"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_unwritable_folder(small_handout: Path) -> None:  # pragma: no cover - depends on the user
    folder = small_handout.parent / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _, stderr = invoke_cli("build", small_handout, "-o", folder / "out.pdf")
    finally:
        folder.chmod(0o700)
    assert code == 2
    assert stderr == f"{folder / 'out.pdf'}: error: cannot write here: permission denied\n" \
                     "  hint: choose a folder you can write to\n"


# -- properties ---------------------------------------------------------------------------
def _booklet_error_of(func, *args, **kwargs) -> BookletError | None:  # type: ignore[no-untyped-def]
    """Run func: None if it succeeds, its BookletError if it fails so; any other exception escapes."""
    try:
        func(*args, **kwargs)
    except BookletError as exc:
        return exc
    return None


@contextlib.contextmanager
def _no_output_left(folder: Path):  # type: ignore[no-untyped-def]
    before = set(folder.iterdir())
    yield
    assert {p for p in folder.iterdir() if p.name.startswith(".")} - before == set()


ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)
READABLE_TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ ąęłźżĄ éüß ÆØ ΑβΓ δЖжЩ Việt ỗ 123 <>&;\"'/*_{}#!?.,:-\u00a0\u0301\t\n"),
    min_size=1, max_size=80)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.one_of(ANY_TEXT, READABLE_TEXT), para=st.one_of(ANY_TEXT, READABLE_TEXT))
def test_any_text_renders_intact_or_fails_with_booklet_error(tmp_path: Path, title: str, para: str) -> None:
    source = tmp_path / "h.yaml"
    source.write_text(f"title: {q(title)}\nsections:\n  - heading: {q(para)}\n    body:\n      - {q(para)}\n"
                      f"      - bullets: [{q(title)}]\n      - table:\n          columns: [{q(para)}]\n"
                      f"          rows: [[{q(title)}]]\n", encoding="utf-8")
    out = tmp_path / "out.pdf"
    with contextlib.suppress(FileNotFoundError):
        out.unlink()
    with _no_output_left(tmp_path):
        error = _booklet_error_of(api.build, source, output=out)
    if error is not None:
        assert error.problems
        assert all(str(p.loc).startswith(str(source)) for p in error.problems)
        assert not out.exists()
        return
    text = squash(extract_text(out))
    layer: str | None = None
    for original in (title, para):
        expected = squash(plain(" ".join(unicodedata.normalize("NFC", original).split())))
        if not needs_shaping(expected):
            assert expected in text
            continue
        # Shaped text (Arabic, Hebrew, Indic, CJK) reads back through its /ActualText, which pypdf ignores:
        # poppler's text layer, where every letter, digit and mark must be, and no private-use character.
        # (Word order, right to left included, is tested in test_rtl, test_indic and test_cjk.)
        if layer is None:
            layer = squash(subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True,
                                          text=True).stdout)
        assert not re.search("[\ue000-\uf8ff]", layer)
        ink = Counter(ch for ch in expected if unicodedata.category(ch)[0] in "LMN")
        assert not ink - Counter(layer), (expected, ink - Counter(layer))


KEYS = sorted({*HANDOUT_FIELDS, *SECTION_FIELDS, *CALLOUT_FIELDS, *TABLE_FIELDS, *BLOCK_KINDS, "src", "alt", "url",
               "caption", "width", "kind", "text"})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10_000), st.floats(allow_nan=True), st.dates(),
    st.sampled_from(["no", "1.10", "12:30", "~", "", "info", "warning", "2026-02-30", "images/x.png", "../x.png",
                     "http://127.0.0.1:1/x.png", "{{ name }}", "{{ bad name }}", "**", "<b>", "60%", "6", "true",
                     "&a", "*a", "!!python/object:os.system", "- item", "a: b", "\t"]),
    st.text(max_size=20),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5),
    ),
    max_leaves=25,
)
HANDOUT_LIKE = st.fixed_dictionaries(
    {"title": SCALARS, "sections": st.lists(st.fixed_dictionaries(
        {"heading": SCALARS,
         "body": st.lists(st.one_of(SCALARS, st.dictionaries(st.sampled_from(BLOCK_KINDS), DOCUMENTS,
                                                             min_size=1, max_size=2)), max_size=4)},
        optional={"key_points": DOCUMENTS}), max_size=3)},
    optional={k: DOCUMENTS for k in HANDOUT_FIELDS if k not in ("title", "sections")},
)


def _dump(document: object) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(st.one_of(DOCUMENTS.map(_dump), HANDOUT_LIKE.map(_dump), st.binary(max_size=300).map(lambda b: b),
                 st.text(max_size=300)))
def test_arbitrary_yaml_raises_only_booklet_error(tmp_path: Path, document: str | bytes) -> None:
    source = tmp_path / "h.yaml"
    if isinstance(document, bytes):
        source.write_bytes(document)
    else:
        source.write_text(document, encoding="utf-8")
    handouts: list[object] = []
    error = _booklet_error_of(lambda: handouts.append(read_handout(source)))
    if error is not None:
        assert error.problems
        assert all(str(p).startswith(str(source)) for p in error.problems)
        return
    handout = handouts[0]

    def lay_out() -> None:  # a document that validates must also lay out, or fail with the tool's own error
        prepared = api.prepare(handout, api.read_clinic(None))  # type: ignore[arg-type]
        api.render_prepared(prepared, {name: "x" for name in handout.placeholders})  # type: ignore[attr-defined]

    _booklet_error_of(lay_out)


def test_an_svg_font_family_never_loads_a_font_from_the_system(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """svglib asks fontconfig (`fc-match`, a subprocess) for an SVG's font family and registers
    the system font it names: the PDF embedded the machine's DejaVu Sans, not the shipped one."""
    import io
    import shutil

    import pikepdf
    from fontTools.ttLib import TTFont as FontFile

    from booklet.fonts import FONT_DIR

    decoy = tmp_path / "system-font.ttf"
    shutil.copy(FONT_DIR / "DejaVuSans.ttf", decoy)  # the same family installed on the system
    fc_match = tmp_path / "fc-match"
    fc_match.write_text(f"#!/bin/sh\necho {decoy}\n", encoding="utf-8")
    fc_match.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: str(fc_match) if name == "fc-match" else None)
    (tmp_path / "label.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
        '<text x="190" y="30" font-family="DejaVu Sans" font-size="14" text-anchor="end">Liver</text></svg>',
        encoding="utf-8")
    content = tmp_path / "h.yaml"
    content.write_text("title: T\nsections:\n  - heading: H\n    body:\n      - Text.\n"
                       "      - image:\n          src: label.svg\n          alt: A label\n", encoding="utf-8")
    from reportlab.pdfbase import pdfmetrics

    before = set(pdfmetrics.getRegisteredFontNames())
    handout, clinic = api.load(content)
    pdf = api.render_prepared(api.prepare(handout, clinic)).pdf
    for name in set(pdfmetrics.getRegisteredFontNames()) - before | {"DejaVuSans", "DejaVuSans-Bold"}:
        filename = getattr(pdfmetrics.getFont(name).face, "filename", None)  # None: a built-in (not embedded) face
        assert filename is None or Path(filename).parent == FONT_DIR, f"{name} was registered from {filename}"
    shipped = {p.stem: FontFile(str(p))["name"].getDebugName(4) for p in FONT_DIR.glob("*.ttf")}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        embedded = [(str(o.FontName).split("+")[-1], FontFile(io.BytesIO(o.FontFile2.read_bytes()))["name"])
                    for o in doc.objects
                    if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor"]
    assert embedded
    for ps_name, names in embedded:
        assert shipped.get(ps_name) == names.getDebugName(4), f"{ps_name} is not the shipped face"
    assert "Liver" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
