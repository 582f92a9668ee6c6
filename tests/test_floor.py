"""Issue #16, the floor in process: the garbage-collection policy, the per-process memos, the leaner tagged
wrapper and the deferred imports change how fast a PDF is made, never its bytes or what a build can do.

Speed itself is measured in benchmarks/bench.py, not here.
"""

from __future__ import annotations

import gc
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE, RIVERSIDE
from hypothesis import example, given, settings
from hypothesis import strategies as st

import booklet
from booklet import memos, render, tagging

PRINT = DATA / "print"
PRINT_CLINIC = PRINT / "clinic" / "clinic.yaml"
SUNNY = EXAMPLE.parent / "clinics" / "sunny" / "clinic.yaml"  # a PNG logo
#: The example with its figure as a PNG (a picture, a logo, a QR code) and as it is (SVG), and two handouts
#: of the print corpus (one in Polish): booklets, a summary and large print.
BUILDS = [(str(EXAMPLE), str(SUNNY), variant, True) for variant in ("booklet", "summary")] + [
    (str(EXAMPLE), str(RIVERSIDE), "booklet", False)] + [
    (str(PRINT / name), str(PRINT_CLINIC), variant, False)
    for name in ("wound-care.yaml", "colonoscopy.pl.yaml") for variant in ("booklet", "large-print")]


def digest(content: str, clinic: str, variant: str, png: bool) -> str:
    """sha256 of a build; `png`: the example's figure as its PNG."""
    text = Path(content).read_text(encoding="utf-8").replace("spread-map.svg", "spread-map.png") if png else None
    return hashlib.sha256(booklet.build(content, clinic=clinic, variant=variant, text=text).pdf).hexdigest()


_FRESH = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_floor import BUILDS, digest
from booklet import memos
print(json.dumps([(memos.clear(), digest(*build))[1] for build in BUILDS]))  # every build from nothing
"""


def test_warm_memos_give_the_bytes_of_a_fresh_process() -> None:
    """Built twice here (the second time from the memos) and once in a new process: the same bytes."""
    memos.clear()
    first = [digest(*b) for b in BUILDS]
    hits = (memos.PICTURES.hits, memos.SUBSETS.hits, memos.COMPRESSED.hits)
    second = [digest(*b) for b in BUILDS]
    assert memos.PICTURES.hits > hits[0], "the pictures came from the memo"
    assert memos.SUBSETS.hits > hits[1], "the font subsets came from the memo"
    assert memos.COMPRESSED.hits > hits[2], "compressed streams came from the memo"
    done = subprocess.run([sys.executable, "-c", _FRESH, str(Path(__file__).parent)], capture_output=True, text=True,
                          check=True)
    fresh = json.loads(done.stdout)
    assert first == second == fresh


def test_a_remembered_picture_is_named_by_the_digest_reportlab_gives() -> None:
    """drawImage names a picture by the MD5 of its pixels and its mask's name; for a remembered picture it is
    remembered too (rl_internals.memoise_decoded_pictures), and is that MD5."""
    memos.clear()
    digest(*BUILDS[0])  # a PNG picture and a PNG logo
    digest(*BUILDS[0])
    remembered = [(pixels, after, name) for (_, pixels, digests), _ in memos.PICTURES._items.values()
                  for after, name in digests.items()]
    assert len(remembered) >= 2
    for pixels, after, name in remembered:
        assert name == hashlib.md5(pixels + after, usedforsecurity=False).hexdigest()


def test_faster_formatting_writes_what_reportlab_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """rl_internals.faster_formatting: every build of BUILDS, formatted by ReportLab's own functions, is the
    same bytes."""
    from reportlab.pdfbase import pdfdoc

    from booklet import rl_internals

    faster = [digest(*build) for build in BUILDS]
    assert set(rl_internals.REPORTLAB_FORMATTING) == {"format", "pdfdocEnc", "PDFName"}
    for name, original in rl_internals.REPORTLAB_FORMATTING.items():
        assert getattr(pdfdoc, name) is not original
        monkeypatch.setattr(pdfdoc, name, original)
    assert [digest(*build) for build in BUILDS] == faster


def test_memos_stay_within_their_bounds() -> None:
    memo: memos.BoundedMemo[bytes] = memos.BoundedMemo(max_bytes=100)
    for i in range(10):
        memo.put(i, bytes(30), 30)
    assert len(memo) == 3  # the least recently used went first
    assert memo.get(9) is not None
    assert memo.get(0) is None
    memo.put("big", bytes(200), 200)  # larger than the whole memo: not kept
    assert memo.get("big") is None
    assert memos.COMPRESSED._bytes <= memos.COMPRESSED_BYTES
    assert memos.PICTURES._bytes <= memos.PICTURE_BYTES


def test_thresholds_are_raised_during_a_build_and_restored_after(write_yaml) -> None:  # type: ignore[no-untyped-def]
    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    with render.collecting_less():
        seen.append(gc.get_threshold())
        with render.collecting_less():  # nested (a build inside a build): one raise, restored by the outer
            pass
        seen.append(gc.get_threshold())
    assert seen == [render.BUILD_GC_THRESHOLDS] * 2
    assert gc.get_threshold() == before
    booklet.build(EXAMPLE, clinic=RIVERSIDE)
    assert gc.get_threshold() == before
    # A build that fails (a block too large for any page) restores them too.
    bad = write_yaml("""
        title: Too big
        language: en
        sections:
          - heading: A table taller than a page
            body:
              - table:
                  header: [A, B]
                  rows:
    """ + "".join(f"                    - [{'word ' * 60}, x]\n" for _ in range(3)))
    with pytest.raises(booklet.BookletError):
        booklet.build(bad)
    assert gc.get_threshold() == before


def test_a_tagged_flowable_reads_as_the_flowable_it_wraps() -> None:
    """The attributes read without __getattr__ give what the wrapped flowable has, and 'missing' stays missing
    where platypus tests for presence."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph
    from reportlab.platypus.flowables import AnchorFlowable

    style = ParagraphStyle("body", spaceBefore=3, spaceAfter=5)
    para = tagging.wrap(Paragraph("text", style), tagging.Tag("P"))
    assert para.style is style
    assert para.getSpaceBefore() == 3
    assert para.getSpaceAfter() == 5
    assert not hasattr(para, "spaceBefore")  # a Paragraph has its space in its style
    assert not getattr(para, "_SPACETRANSFER", False)
    assert not getattr(para, "_ZEROSIZE", False)
    assert not hasattr(para, "_skipMeNextTime")
    assert not hasattr(para, "frameAction")
    assert getattr(para, "__split_only__", None) is None
    para._skipMeNextTime = 1  # set on the wrapped flowable, seen through the wrapper
    assert para._flowable._skipMeNextTime == 1
    assert hasattr(para, "_skipMeNextTime")
    del para._skipMeNextTime
    assert not hasattr(para, "_skipMeNextTime")
    with pytest.raises(AttributeError):
        _ = para.canv  # not drawn yet
    para.canv = "canvas"
    assert para.canv == "canvas"
    assert para._flowable.canv == "canvas"
    anchor = tagging.wrap(AnchorFlowable("here"), tagging.ARTIFACT)  # one that has the flags set
    assert anchor._SPACETRANSFER is True
    assert anchor._ZEROSIZE == 1


_IMPORTS = """
import sys
import booklet
booklet.build(sys.argv[1], clinic=sys.argv[2])
print(" ".join(sorted(m for m in sys.modules)))
print(type(sys.modules["pyphen"]).__name__, type(sys.modules["uharfbuzz"]).__name__)
from reportlab.platypus import paragraph
print(type(paragraph.uri_pat).__name__, paragraph.uri_pat._compiled)
"""


def test_a_latin_build_does_not_load_what_it_does_not_use() -> None:
    """Start-up: no URL library (xml.sax.saxutils imports urllib.request), no barcode package or graphics
    library for a QR code, no HarfBuzz for Latin text, no hyphenation code without `hyphenate`, no did-you-mean
    matching for a handout without mistakes."""
    done = subprocess.run([sys.executable, "-c", _IMPORTS, str(EXAMPLE), str(RIVERSIDE)], capture_output=True,
                          text=True, check=True)
    modules, kinds, pattern = done.stdout.splitlines()
    loaded = set(modules.split())
    for module in ("xml.sax.saxutils", "urllib.request", "http.client", "reportlab.graphics.barcode",
                   "uharfbuzz._harfbuzz", "difflib"):
        assert module not in loaded, module
    assert kinds == "_Deferred _Deferred"  # pyphen and HarfBuzz imported by ReportLab, never loaded
    assert pattern == "_LazyPattern None"  # ReportLab's web address pattern for hyphenation, never compiled
    assert "booklet.render" in loaded  # (the list is the build's)


def test_the_deferred_pattern_matches_as_the_compiled_one() -> None:
    import re

    from reportlab.platypus import paragraph

    compiled = re.compile(booklet._RL_URI_PATTERN, re.IGNORECASE)
    for text in ("https://www.nhs.uk/conditions", "HTTP://Example.ORG:8080/a?b#c", "www.nhs.uk", "ftp://x",
                 "https://user:pw@192.168.0.1/x", "mailto:a@b.co", "https://bücher.de/ä"):
        lazy = paragraph.uri_pat.match(text)
        assert (lazy and lazy.groups()) == ((m := compiled.match(text)) and m.groups()), text


def test_deferred_modules_work_when_used() -> None:
    code = ("import booklet, sys\nimport pyphen, uharfbuzz\n"
            "assert pyphen.language_fallback('en_GB') == 'en_GB'\n"
            "assert uharfbuzz.Buffer is sys.modules['uharfbuzz'].Buffer\n"
            "from reportlab.platypus import paragraph\nassert paragraph.pyphen.Pyphen is pyphen.Pyphen\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=300, deadline=None)
@example("call 0207 946 0123 or ٠٢٠٧ ٩٤٦ ٠١٢٣")
@example("see www.nhs.uk, https://x.org/a or ask@clinic.org")
@given(st.text(alphabet=st.sampled_from(list("ab 1²٣+-()@.:/w\u00a0x")), max_size=40))
def test_the_address_shortcut_finds_what_the_full_search_finds(text: str) -> None:
    """`address_spans` skips the search when no address can match; it finds exactly what the search finds."""
    from booklet.text import ADDRESS, _is_address, address_spans, keep_whole, rewrite_addresses

    assert address_spans(text) == [m.span() for m in ADDRESS.finditer(text) if _is_address(m.group(0))]
    whole = rewrite_addresses(text, lambda address: address.replace(" ", "\u00a0"), lambda between: between)
    assert keep_whole(text) == whole


@pytest.mark.parametrize(("variant", "tags"), [("booklet", True), ("booklet", False), ("summary", True),
                                               ("large-print", True)])
def test_a_built_document_is_freed_without_a_garbage_collection(variant: str, tags: bool) -> None:
    """No reference cycle keeps a document's objects (the template, its canvas, the structure tree, what was
    drawn) once it is built: they are freed then, not left to a collection that first walks them all."""
    booklet.build(EXAMPLE, clinic=RIVERSIDE, variant=variant, tags=tags)  # fonts, memos: what stays
    gc.collect()
    gc.disable()
    try:
        booklet.build(EXAMPLE, clinic=RIVERSIDE, variant=variant, tags=tags)
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 50  # the canvas class made per layout (a class refers to itself): 7 objects each


def test_the_page_frame_copies_as_deepcopy_would() -> None:
    import copy

    from reportlab.platypus import Paragraph

    frame = render._Frame(10, 20, 300, 400, leftPadding=0, id="body")
    frame.add(Paragraph("Some text"), render.scratch_canvas())
    frame._frameBGs = [(0, 0, 0, "#ffffff")]
    ours = copy.deepcopy(frame)
    generic = copy._reconstruct(frame, {}, *frame.__reduce_ex__(4))  # deepcopy without __deepcopy__
    assert type(ours) is type(generic) is render._Frame
    assert ours.__dict__ == generic.__dict__
    assert ours._frameBGs is not frame._frameBGs
    assert ours._x1 == 10
    assert ours._atTop == 0  # a copy of the frame as it is, with a paragraph in it


@settings(max_examples=300, deadline=None)
@example("Łódź, αἷμα, кровь, Nguyễn")
@example("MRI \u0590 and \u05d0")
@given(st.text(alphabet=st.characters(max_codepoint=0x0800), max_size=30))
def test_the_no_script_shortcut_is_never_wrong(text: str) -> None:
    """`in_no_script` answers without looking at each character: when it says so, no character has a script."""
    from booklet.scripts import in_no_script, script_of

    if in_no_script(text):
        assert all(script_of(ch) is None for ch in text)
    else:
        assert max(text) >= "\u0590"  # (the first script's first character)
