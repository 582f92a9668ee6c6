"""Issue #16, the floor in process: the garbage-collection policy, the per-process memos, the leaner tagged
wrapper and the deferred imports change how fast a PDF is made, never its bytes or what a build can do.

Speed itself is measured in benchmarks/bench.py, not here.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE, FONT_FILE, RIVERSIDE
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
    assert set(rl_internals.REPORTLAB_FORMATTING) == {"format", "pdfdocEnc", "PDFName", "PDFIndirectObject"}
    for name, original in rl_internals.REPORTLAB_FORMATTING.items():
        assert getattr(pdfdoc, name) is not original
        monkeypatch.setattr(pdfdoc, name, original)
    assert [digest(*build) for build in BUILDS] == faster


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from([*(chr(c) for c in range(0, 0x80)), "\u00e9", "\u02d8", "\u2022",
                                          "\u20ac", "\ufb01", "\U0001f600"]), max_size=20))
def test_pdf_text_is_encoded_as_reportlab_encodes_it(text: str) -> None:
    """rl_internals.faster_formatting's pdfdocEnc and format: the bytes ReportLab's give for any text (ASCII,
    the control characters its codec refuses, PDFDocEncoding's own letters, characters it has not), or the
    same refusal."""
    from reportlab.pdfbase import pdfdoc

    from booklet import rl_internals

    def result(encode: object, *args: object) -> object:
        try:
            return encode(*args)  # type: ignore[operator]
        except UnicodeEncodeError as exc:
            return type(exc), exc.start
    theirs = result(rl_internals.REPORTLAB_FORMATTING["pdfdocEnc"], text)
    assert result(pdfdoc.pdfdocEnc, text) == theirs
    assert result(pdfdoc.format, text, None) == theirs


def test_register_is_what_reference_does() -> None:
    """rl_internals.register (tagging registers its structure elements with it): the object numbers, names and
    tables PDFDocument.Reference makes, each reference as PDFObjectReference.format writes it, an object already
    registered keeping its number, and Reference's refusal of a name already taken."""
    from reportlab.pdfbase import pdfdoc

    from booklet import rl_internals

    ours, theirs = pdfdoc.PDFDocument(), pdfdoc.PDFDocument()
    mine, its = ([pdfdoc.PDFDictionary({"N": i}) for i in range(5)] for _ in range(2))
    ours.Reference(mine[2])
    theirs.Reference(its[2])
    refs = [theirs.Reference(o) for o in its]
    assert rl_internals.register(ours, mine) == [r.format(theirs) for r in refs]
    assert ours.idToObjectNumberAndVersion == theirs.idToObjectNumberAndVersion
    assert ours.numberToId == theirs.numberToId
    assert list(ours.idToObject) == list(theirs.idToObject)
    assert [o.__InternalName__ for o in mine] == [o.__InternalName__ for o in its]
    ours.Reference(pdfdoc.PDFDictionary({}), name=f"R{ours.objectcounter + 2}")
    with pytest.raises(ValueError, match="redefining named object"):
        rl_internals.register(ours, [pdfdoc.PDFDictionary({}), pdfdoc.PDFDictionary({})])


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
from reportlab.lib import textsplit
import yaml.reader
print(*(f"{type(p).__name__} {p._compiled}" for p in (paragraph.uri_pat, yaml.reader.Reader.NON_PRINTABLE,
                                                     textsplit.rx)), sep=", ")
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
    # ReportLab's web address pattern for hyphenation, PyYAML's pure-Python reader's, ReportLab's cjkwrap's: never
    # compiled
    assert pattern == ", ".join(["_LazyPattern None"] * len(booklet.DEFERRED_PATTERNS))
    assert "booklet.render" in loaded  # (the list is the build's)


def test_the_deferred_pattern_matches_as_the_compiled_one() -> None:
    import re

    from reportlab.platypus import paragraph

    compiled = re.compile(booklet._RL_URI_PATTERN, re.IGNORECASE)
    for text in ("https://www.nhs.uk/conditions", "HTTP://Example.ORG:8080/a?b#c", "www.nhs.uk", "ftp://x",
                 "https://user:pw@192.168.0.1/x", "mailto:a@b.co", "https://bücher.de/ä"):
        lazy = paragraph.uri_pat.match(text)
        assert (lazy and lazy.groups()) == ((m := compiled.match(text)) and m.groups()), text


def test_the_other_deferred_patterns_work_as_compiled() -> None:
    import re

    import yaml
    import yaml.reader
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    patterns = (paragraph.uri_pat, yaml.reader.Reader.NON_PRINTABLE, textsplit.rx)
    for lazy, (module, pattern, flags) in zip(patterns, booklet.DEFERRED_PATTERNS, strict=True):
        assert module in sys.modules
        assert lazy.pattern == pattern
        compiled = re.compile(f"(?:{pattern})", flags)  # the same pattern, compiled now (another cache key)
        for text in ("plain text", "a\x00b", "bell\x07", "\ufffe", "中文 text", "\u2e80", "ß\U0001f600",
                     "see https://www.nhs.uk/x"):
            found = lazy.search(text)
            assert (found and found.span()) == ((m := compiled.search(text)) and m.span()), (pattern, text)
    with pytest.raises(yaml.reader.ReaderError):  # PyYAML's pure-Python reader still refuses a control character
        yaml.load("a: b\x07", Loader=yaml.SafeLoader)


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


# -- paragraph fragments, fragment comparison and text splitting: ReportLab's answers, found faster -------------
def _frag_state(frag: object) -> list[tuple[str, object]]:
    """A fragment's attributes in order (a callback's definition by its own attributes)."""
    return [(k, v.__dict__ if k == "cbDefn" else v) for k, v in vars(frag).items()]


def _parsed(markup: str, style: object) -> tuple[str, list[object]]:
    """What ReportLab's own Paragraph makes of markup: its text and fragments."""
    from reportlab.platypus import Paragraph as RLParagraph

    para = RLParagraph(markup, style)
    return para.text, para.frags


_MARKUPS = [
    "Plain text", "  spaced\n  over   lines \n", "<b>Label:</b> value", "<b><i>both</i></b> and <i><b>both</b></i>",
    "AT&amp;T &lt;x&gt; &quot;q&quot; &#8212; &#x2014; &nbsp;end", "one<br/>two<br/><br/>three",
    "<font color='#112233'>coloured</font> plain", '<a href="#key">to a key</a> then text',
    '<onDraw name="_booklet_link" label="#k"/><a href="#k">linked</a><onDraw name="_booklet_link" label="-"/>.',
    "Zoë Łucja Nguyễn \u00a0 αἷμα кровь", "a &unknown; entity",
]
#: Markup with no template: ReportLab parses it, as before.
_PARSED_AS_BEFORE = ["", "<b></b>", "a < b", "a & b", "<para>x</para>", "<u>under</u>", "<b>unclosed",
                     "<img src='x.png'/>", "<greek>a</greek>", "<bullet>*</bullet>text"]


@pytest.mark.parametrize("markup", _MARKUPS + _PARSED_AS_BEFORE)
@pytest.mark.parametrize("transform", [None, "uppercase", "capitalize"])
def test_a_paragraph_made_from_its_template_is_the_one_reportlab_parses(markup: str, transform: str | None) -> None:
    """booklet's Paragraph (its skeleton's template, rl_internals.parse_skeleton) has the text and fragments,
    attribute by attribute in the same order, that ReportLab's markup parser gives; markup the template path does
    not take is parsed (or refused) by ReportLab as before."""
    from reportlab.lib.styles import ParagraphStyle

    from booklet import flowables

    flowables._parsed.clear()
    style = ParagraphStyle(f"body-{transform}", fontName="Helvetica", fontSize=11, textTransform=transform)
    try:
        text, frags = _parsed(markup, style)
    except (ValueError, OSError) as error:
        refused: tuple[type[Exception], str] | None = (type(error), str(error).strip().splitlines()[0])
    else:
        refused = None
    if refused is not None:  # ReportLab refuses the markup: so does booklet's Paragraph, in the same words
        with pytest.raises(refused[0], match=re.escape(refused[1])):
            flowables.Paragraph(markup, style)
        return
    for _ in range(2):  # the template made, then used
        flowables._parsed.clear()
        ours = flowables.Paragraph(markup, style)
        assert ours.text == text
        assert ours.style is style
        assert [type(f) for f in ours.frags] == [type(f) for f in frags]
        assert [_frag_state(f) for f in ours.frags] == [_frag_state(f) for f in frags]
    templated = flowables._from_template(markup, style) is not None
    assert templated == (markup in _MARKUPS)


def test_markup_with_a_counter_is_parsed_each_time() -> None:
    """`<seq/>` numbers from a counter every parse moves on: never made from a template."""
    from reportlab.lib.styles import ParagraphStyle

    from booklet import flowables

    assert flowables._from_template("x <seq/> y", ParagraphStyle("body", fontName="Helvetica")) is None


def test_every_paragraph_of_the_examples_is_made_as_reportlab_parses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the builds of BUILDS, every paragraph made from a template has the parser's fragments."""
    from booklet import flowables

    made = []
    from_template = flowables._from_template

    def checked(text: str, style: object) -> object:
        got = from_template(text, style)
        if got is not None:
            made.append(got)
            cleaned, frags = _parsed(text, style)
            assert got[0] == cleaned
            assert [_frag_state(f) for f in got[1]] == [_frag_state(f) for f in frags], text
        return got

    monkeypatch.setattr(flowables, "_from_template", checked)
    flowables._parsed.clear()
    for build in BUILDS:
        digest(*build)
    assert len(made) > 500


_ATTRIBUTE_VALUES = {
    "fontName": ["DejaVuSans", "DejaVuSans-Bold"], "fontSize": [10, 10.0, 12], "rise": [0, 2],
    "us_lines": [[], [("underline", 1)]], "link": [[], [(0, "#a")]], "backColor": [None, "#fff"],
    "nobr": [False, True], "cbDefn": [None, "defn"], "lineBreak": [True],
    "textColor": ["black", "black-copy", "red"], "text": ["x", "y"], "bold": [0, 1],
}


@st.composite
def _frags(draw: st.DrawFn) -> object:
    from reportlab.lib.colors import Color, black, red
    from reportlab.platypus.paraparser import ParaFrag

    frag = ParaFrag()
    for name, values in _ATTRIBUTE_VALUES.items():
        if draw(st.booleans()):
            value = draw(st.sampled_from(values))
            if isinstance(value, list):
                value = list(value)  # equal, not the same list
            elif isinstance(value, str):
                value = {"black": black, "black-copy": Color(0, 0, 0), "red": red}.get(value, value)
            setattr(frag, name, value)
    return frag


@settings(max_examples=500, deadline=None)
@given(_frags(), _frags())
def test_same_frag_answers_as_reportlabs(f: object, g: object) -> None:
    """rl_internals.same_frag: the C function's answer for any two fragments (absent, equal, identical, different
    attributes; a callback or line break in either)."""
    from reportlab.lib.rl_accel import sameFrag

    from booklet import rl_internals

    assert rl_internals.same_frag(f, g) == bool(sameFrag(f, g))
    assert rl_internals.same_frag(f, f) == bool(sameFrag(f, f))


def test_same_frag_is_the_one_paragraphs_use() -> None:
    from reportlab.platypus import paragraph

    from booklet import rl_internals

    assert paragraph.sameFrag is rl_internals.same_frag


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from([*"ab Z\u00a0\t~\x7f\u00eb\u0141\u20ac\u0301\u03b1\u043a\ufb01"
                                                  "\U0001f600\ue000"]), max_size=12), max_size=12))
def test_split_string_splits_as_reportlab_does(texts: list[str]) -> None:
    """rl_internals.split_string on a document gives the runs ReportLab's gives on another, text after text, and
    leaves the font's codes for that document as ReportLab's leaves them."""
    from reportlab.pdfbase.pdfmetrics import registerFont
    from reportlab.pdfbase.ttfonts import TTFont

    from booklet import rl_internals

    font = TTFont("SplitStringTest", str(FONT_FILE))
    registerFont(font)

    class Doc:  # a document, as far as splitString is concerned (a weak key)
        pass

    ours, theirs = Doc(), Doc()
    for text in texts * 2 + ["ab " * 100, "".join(map(chr, range(0x400, 0x520)))] + texts:
        assert rl_internals.split_string(font, text, ours) == rl_internals.REPORTLAB_SPLIT_STRING(font, text, theirs)
    assert font.state[ours].assignments == font.state[theirs].assignments
    assert font.state[ours].subsets == font.state[theirs].subsets


def test_the_faster_paths_write_what_reportlab_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every build of BUILDS with ReportLab's own sameFrag, splitString, markup parser, canvas, text objects and
    paragraph drawing (rl_internals.LeanCanvas, draw_left_aligned): the same bytes."""
    from reportlab.lib.rl_accel import sameFrag
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Table, paragraph

    from booklet import flowables, rl_internals
    from booklet.compose import BookletTable

    faster = [digest(*build) for build in BUILDS]
    monkeypatch.setattr(paragraph, "sameFrag", sameFrag)
    monkeypatch.setattr(TTFont, "splitString", rl_internals.REPORTLAB_SPLIT_STRING)
    monkeypatch.setattr(flowables, "_from_template", lambda text, style: None)
    monkeypatch.setattr(BookletTable, "_calc", Table._calc)
    for cls in rl_internals.CLONED:
        monkeypatch.delattr(cls, "clone")  # ABag's
    monkeypatch.setattr(flowables, "draw_left_aligned", lambda para: False)
    for name in ("push_state_stack", "pop_state_stack", "translate", "beginText",
                 "stringWidth", "setFillColor"):
        monkeypatch.delattr(rl_internals.LeanCanvas, name)  # ReportLab's Canvas and PDFTextObject
    flowables._parsed.clear()
    assert [digest(*build) for build in BUILDS] == faster


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=7),
       st.lists(st.tuples(st.sampled_from([200.0, 300.0]), st.floats(0, 900)), min_size=1, max_size=6),
       st.booleans())
def test_a_table_measured_again_is_left_as_reportlab_leaves_it(words: list[int], calls: list[tuple[float, float]],
                                                               long_table: bool) -> None:
    """BookletTable._calc: after each of a run of wraps (widths and heights; rows cut short at a small
    height), the row heights, positions, height and width ReportLab's Table._calc leaves on the same table."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Table

    from booklet.compose import BookletTable
    from booklet.flowables import Paragraph
    from booklet.fonts import font_set

    style = ParagraphStyle("t", fontName=font_set().regular, fontSize=10, leading=12)

    def table(kind: type) -> Table:
        rows = [[Paragraph(" ".join(["word"] * n) or "x", style), Paragraph(f"row {i}", style)]
                for i, n in enumerate(words)]
        return kind(rows, colWidths=[150, 40], longTableOptimize=int(long_table))

    ours, theirs = table(BookletTable), table(Table)
    for width, height in calls * 2:
        assert ours.wrap(width, height) == theirs.wrap(width, height)
        for name in ("_rowHeights", "_rowpositions", "_height", "_hmax", "_width", "_colpositions"):
            assert getattr(ours, name) == getattr(theirs, name), name
    assert ours._booklet_rows is not None
    assert ours._booklet_rows[0] == [tuple(row) for row in ours._cellvalues]
    expected = theirs.wrap(*calls[-1])
    calc = Table._calc
    try:  # measured in full once, the cells are not measured again
        Table._calc = None  # type: ignore[assignment,method-assign]
        assert ours.wrap(*calls[-1]) == expected
    finally:
        Table._calc = calc  # type: ignore[method-assign]


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.from_regex(r"https://[a-z0-9.-]{1,40}/[A-Za-z0-9/_?=&-]{0,80}", fullmatch=True),
                 st.from_regex(r"[0-9]{1,60}", fullmatch=True),
                 st.from_regex(r"[A-Z0-9 $%*+./:-]{1,60}", fullmatch=True),
                 st.text(min_size=1, max_size=60)))
@example("https://riverside.example/breastcare/secondary")
@example("tel:+441234567890")
@example("0123456789")
@example("HTTPS://X.Y/Z")
@example("\u65e5\u672c")  # Kanji
def test_a_qr_code_s_mask_is_chosen_as_reportlab_chooses_it(data: str) -> None:
    """booklet counts each mask pattern's penalty faster than ReportLab (rl_internals.qr_lost_point): the same
    points for every mask, so the same mask and the same matrix as `QRCode.make()`; and it encodes the text as
    `addData` does, without trying Kanji for ASCII text."""
    from booklet.rl_internals import qr_add_data, qr_encoder, qr_lost_point, qr_make

    qrencoder = qr_encoder()
    theirs = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    theirs.addData(data)
    theirs.make()
    ours = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr_add_data(ours, data)  # the same encoding (ASCII is never tried as Kanji)
    qr_make(ours)
    assert [type(d) for d in ours.dataList] == [type(d) for d in theirs.dataList]
    assert ours.modules == theirs.modules
    for mask in range(8):
        theirs.makeImpl(True, mask)
        assert qr_lost_point(theirs.modules) == qrencoder.QRUtil.getLostPoint(theirs), mask


_PICTURE_IMPORTS = """
import sys
sys.path.insert(0, sys.argv[1])
from test_floor import BUILDS, digest
digest(*BUILDS[0])  # the example with its figure as a PNG, a PNG logo and a QR code
from booklet import rl_internals
loaded = [name for name, module in sys.modules.items() if type(module).__name__ != "_Deferred"]  # (not loaded)
print(" ".join(sorted([*loaded, *rl_internals._QR_ENCODER])))  # (the QR encoder is loaded on its own)
"""


def test_a_build_with_pictures_and_a_qr_code_loads_only_what_they_need() -> None:
    """Pillow's PNG plugin, not its other common ones (images._load_png_plugin); no Shift JIS codec for an ASCII
    QR code (rl_internals.qr_add_data)."""
    done = subprocess.run([sys.executable, "-c", _PICTURE_IMPORTS, str(Path(__file__).parent)], capture_output=True,
                          text=True, check=True)
    loaded = set(done.stdout.split())
    assert {"PIL.PngImagePlugin", "reportlab.graphics.barcode.qrencoder"} <= loaded  # (a PNG and a QR code)
    for module in ("PIL.BmpImagePlugin", "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin",
                   "encodings.shift_jis", "PIL.ExifTags"):
        assert module not in loaded, module


# -- the dataclasses' code, compiled once (booklet.precompiled) ------------------------------------------------
_DATACLASS_CODE = """
import json
from booklet import precompiled
left_out = precompiled.every_module()
shipped = precompiled._load()
stale = [s for s in precompiled.seen if shipped.get(s) != compile(s, "<string>", "exec")]
unused = set(shipped) - set(precompiled.seen)
print(json.dumps({"seen": len(precompiled.seen), "stale": len(stale), "unused": len(unused), "left_out": left_out}))
"""


def test_the_shipped_dataclass_code_is_what_compile_makes_of_every_dataclass() -> None:
    """booklet/data/dataclasses.code holds, for every dataclass of booklet's, the code `compile` makes of the
    source `dataclasses` writes for its methods, and nothing else. When this fails, a dataclass changed: run
    python -c "from booklet import precompiled; precompiled.write()" (a class missing from it is compiled at
    start, as without the file: only slower)."""
    done = subprocess.run([sys.executable, "-c", _DATACLASS_CODE], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["seen"] > 100  # sources of booklet's dataclasses' methods
    assert found["stale"] == 0
    if not found["left_out"]:  # (a module that needs what is not installed here makes none of its classes)
        assert found["unused"] == 0


def test_dataclass_code_of_another_python_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    import marshal

    from booklet import precompiled

    source = "def __create_fn__():\n def f(): return 1\n return f\n"
    code = compile("def __create_fn__():\n def f(): return 2\n return f\n", "<string>", "exec")
    for magic, expected in ((importlib.util.MAGIC_NUMBER, {source: code}), (b"\x00\x00\r\n", {})):
        path = tmp_path / "dataclasses.code"
        path.write_bytes(precompiled.HEADER + magic + marshal.dumps({source: code}))
        monkeypatch.setattr(precompiled, "PATH", path)
        assert precompiled._load() == expected


def test_other_dataclasses_are_made_as_without_booklet() -> None:
    """Another module's dataclass, made after booklet is imported, is compiled as `dataclasses` compiles it:
    its annotations evaluated (no `from __future__ import annotations` leaks in from booklet's modules)."""
    code = ("import booklet.api, dataclasses\n"
            "@dataclasses.dataclass(frozen=True)\nclass A:\n    x: int\n    y: 'str' = 'a'\n"
            "print(A.__init__.__annotations__ == {'x': int, 'y': 'str', 'return': None}, A(1) == A(1), repr(A(2)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "A(x=2,", "y='a')"]


def test_paragraph_font_metrics_are_remembered_as_reportlab_gives_them() -> None:
    """rl_internals.memoise_string_widths: paragraphs measure widths, ascents and descents through caches,
    with ReportLab's answers."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import paragraph

    from booklet import flowables  # noqa: F401 - installs the caches
    from booklet.fonts import font_set

    fonts = font_set()
    assert hasattr(paragraph.getAscentDescent, "cache_info")
    assert hasattr(paragraph.stringWidth, "cache_info")
    for name in (fonts.regular, fonts.bold, fonts.italic):
        for size in (None, 9, 11.5, 18):
            assert paragraph.getAscentDescent(name, size) == pdfmetrics.getAscentDescent(name, size)
        assert paragraph.stringWidth("Zoë, 12 mg", name, 11.5) == pdfmetrics.stringWidth("Zoë, 12 mg", name, 11.5)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*"ab 1.\n&<>*{}_\u00e9\u00a0", "{{ name }}", "**"]), max_size=30).map("".join),
       st.sampled_from(["italic", "bold"]))
def test_the_text_shortcuts_answer_as_the_full_scan(text: str, emphasis: str) -> None:
    """text.markup, text.plain and text.unbalanced skip the scan for marks in a text without any: the same
    answers as the scan gives."""
    from booklet import text as tx

    values = {"name": "Zoë & <Co>"}
    assert tx._markup(text, values, emphasis) == tx._markup_runs(text, values, emphasis)
    assert tx._plain(text, values) == tx._plain_runs(text, values)
    assert tx.unbalanced(text) == tx._unbalanced_marks(text)


def test_styles_alike_share_a_number_and_styles_that_differ_do_not() -> None:
    """flowables._style_key: the parse memos' key for a style; alike (but for the name) is the same number."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    from booklet.flowables import _style_key

    base = ParagraphStyle("a", fontSize=11, textColor=HexColor("#1a1a1a"))
    assert _style_key(ParagraphStyle("b", fontSize=11, textColor=HexColor("#1a1a1a"))) == _style_key(base)
    assert _style_key(ParagraphStyle("a", fontSize=11, textColor=HexColor("#1a1a1b"))) != _style_key(base)
    assert _style_key(ParagraphStyle("a", fontSize=11.5, textColor=HexColor("#1a1a1a"))) != _style_key(base)
    assert _style_key(ParagraphStyle("a", parent=base, hyphenationLang="en_GB")) != _style_key(base)
    assert _style_key(ParagraphStyle("c", parent=base)) == _style_key(base)


def test_every_inner_page_has_its_footer_when_a_booklet_is_laid_out_again() -> None:
    """The footer label is drawn once per document and its operators written again (Furniture.draw_label):
    in a booklet laid out twice (a Greek handout whose back pages are counted again), every inner page's
    footer reads the title, the reference and the page number, in the characters of that document's fonts."""
    import pdfplumber

    pdf = booklet.build(DATA / "lang" / "el.yaml").pdf
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        footers = [" ".join(w["text"] for w in page.extract_words() if w["top"] > page.height - 40)
                   for page in doc.pages[1:-1]]
    assert len(footers) >= 4
    for number, footer in enumerate(footers, start=2):
        assert footer == f"Πώς να μετράτε την αρτηριακή πίεση στο σπίτι · BP-HOME-EL Σελίδα {number}"  # noqa: RUF001


# -- drawing: rl_internals.LeanCanvas, LeanTextObject, draw_left_aligned ---------------------------------------
#: Canvas operations (name, arguments) for the lean canvas tests: state saved and restored (nested), moves of the
#: origin under other matrices (scaled, rotated, skewed, negative and signed-zero factors) and right after a ' cm'
#: that ReportLab merges them into, colours of every kind (alpha 1, another alpha, CMYK, tuples, names), forms.
_CANVAS_OPS = st.one_of(
    st.tuples(st.just("saveState")), st.tuples(st.just("restoreState")),
    st.tuples(st.just("translate"), st.floats(-500, 500), st.floats(-500, 500)),
    st.tuples(st.just("translate"), st.sampled_from([0, 1, -0.0, 0.1, 1e-9, 36.85039370078]),
              st.sampled_from([0, -1, 0.0, 2.5, -1e-7, 401.23456789])),
    st.tuples(st.just("scale"), st.sampled_from([1, 2, 0.5, -1, -0.0]), st.sampled_from([1, 3, -2, 0.25])),
    st.tuples(st.just("rotate"), st.sampled_from([0, 30, 90, 180, -45])),
    st.tuples(st.just("skew"), st.sampled_from([0, 10]), st.sampled_from([0, 5])),
    st.tuples(st.just("transform"), *[st.sampled_from([0, 1, -1, 0.5, -0.0, 3.25])] * 6),
    st.tuples(st.just("setFillColor"), st.sampled_from(["#1a4d8f", "#000000", "alpha", "cmyk", "rgb", "name", "gray"])),
    st.tuples(st.just("setFont"), st.sampled_from([9, 11.5])),
    st.tuples(st.just("rect")), st.tuples(st.just("form")),
)


def _canvas_op(canvas: object, op: tuple[object, ...], font: str) -> None:
    from reportlab.lib.colors import CMYKColor, Color, HexColor

    name, *args = op
    if name == "setFillColor":
        colour = {"#1a4d8f": HexColor("#1a4d8f"), "#000000": HexColor("#000000"), "alpha": Color(0.2, 0.4, 0.6, 0.5),
                  "cmyk": CMYKColor(0.1, 0.2, 0.3, 0.4), "rgb": (0.1, 0.2, 0.3), "name": "red",
                  "gray": Color(0.5, 0.5, 0.5, alpha=1.0)}[str(args[0])]
        canvas.setFillColor(colour)  # type: ignore[attr-defined]
    elif name == "setFont":
        canvas.setFont(font, args[0])  # type: ignore[attr-defined]
    elif name == "rect":
        canvas.rect(1, 2, 30, 40, fill=1)  # type: ignore[attr-defined]
    elif name == "form":
        forms = canvas.__dict__["_test_forms"] = canvas.__dict__.get("_test_forms", 0) + 1
        canvas.beginForm(f"F{forms}")  # type: ignore[attr-defined]
        canvas.translate(3, 4)  # type: ignore[attr-defined]
        canvas.drawString(0, 0, "form")  # type: ignore[attr-defined]
        canvas.endForm()  # type: ignore[attr-defined]
    else:
        getattr(canvas, str(name))(*args)


def _canvas_state(canvas: object) -> str:
    from booklet.rl_internals import STATE_ATTRIBUTES

    d = canvas.__dict__
    values = [d[name] for name in STATE_ATTRIBUTES if name != "_extgstate"]
    return repr((values, d["_extgstate"]._d, d["_code"], d["_doc"]._pdfVersion, len(d["state_stack"])))


@settings(max_examples=300, deadline=None)
@given(st.lists(_CANVAS_OPS, max_size=40))
def test_the_lean_canvas_keeps_state_and_moves_as_reportlab_does(ops: list[tuple[object, ...]]) -> None:
    """rl_internals.LeanCanvas (saveState, restoreState, push/pop_state_stack through forms, translate,
    setFillColor): after every operation, the same operators, state (matrix and its signed zeros included) and
    PDF version as ReportLab's Canvas; and the same bytes when saved."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from booklet.fonts import font_set
    from booklet.rl_internals import LeanCanvas

    font = font_set().regular
    ours, theirs = LeanCanvas(io.BytesIO(), invariant=1), Canvas(io.BytesIO(), invariant=1)
    for op in ops:
        if op[0] == "restoreState" and not theirs.state_stack:
            continue
        for canvas in (ours, theirs):
            _canvas_op(canvas, op, font)
        assert _canvas_state(ours) == _canvas_state(theirs)
    while theirs.state_stack:
        ours.restoreState()
        theirs.restoreState()
        assert _canvas_state(ours) == _canvas_state(theirs)
    assert ours.getpdfdata() == theirs.getpdfdata()


def test_a_translate_after_a_cm_is_merged_as_reportlab_merges_it() -> None:
    import io

    from reportlab.pdfgen.canvas import Canvas

    from booklet.rl_internals import LeanCanvas

    for canvas in (LeanCanvas(io.BytesIO()), Canvas(io.BytesIO())):
        canvas.saveState()
        canvas.scale(2, 0.5)
        canvas.translate(10, -4.25)
        canvas.translate(1.5, 3)
        assert canvas._code[-2:] == ["q", "2 0 0 .5 23 -0.625 cm"]
        assert canvas._currentMatrix == (2, 0, 0, 0.5, 23.0, -0.625)


_LINE_CHARS = [*"ab Z()\\\u00a0\t\u00eb\u0141\u20ac\u03b1\u043a\ufb01\u2014"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=st.sampled_from(_LINE_CHARS), max_size=20),
                          st.sampled_from([9, 11.5, 14]), st.booleans()), max_size=25))
def test_the_lean_text_object_writes_what_reportlab_writes(lines: list[tuple[str, float, bool]]) -> None:
    """rl_internals.LeanTextObject: the same operators as PDFTextObject for text in a TrueType font, line after line,
    with font and size changes and characters that fill several subsets; the text objects begun one after another
    in two documents."""
    import io

    from reportlab.pdfgen.canvas import Canvas
    from reportlab.pdfgen.textobject import PDFTextObject

    from booklet.fonts import font_set
    from booklet.rl_internals import LeanCanvas, LeanTextObject

    fonts = font_set()
    many = "".join(map(chr, range(0x400, 0x4A0)))  # more characters than one subset holds
    ours, theirs = LeanCanvas(io.BytesIO()), Canvas(io.BytesIO())
    for start in range(0, len(lines) + 1, 7):
        txs = [canvas.beginText(10, 20) for canvas in (ours, theirs)]
        assert type(txs[0]) is LeanTextObject
        assert type(txs[1]) is PDFTextObject
        for text, size, bold in [*lines[start:start + 7], (many, 10, False), ("", 10, True)]:
            for tx in txs:
                tx.setFont(fonts.bold if bold else fonts.regular, size, size * 1.2)
                tx._textOut(text, 1)
                tx.textOut(text)
                tx.textLine(text)
        assert txs[0].getCode() == txs[1].getCode()
        assert txs[0]._curSubset == txs[1]._curSubset


def _paragraph_cases() -> list[tuple[str, dict[str, object], bool]]:
    """(markup, style options, whether rl_internals.draw_left_aligned draws it rather than ReportLab's drawPara)."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT

    long = "A first line of words, then some more words that wrap onto the next line and the one after it. " * 3
    mixed = ("Some <b>bold</b> and <i>italic</i> words, <font size=13>larger</font>, <font color='#aa0000'>red"
             "</font>, x<super>2</super> and H<sub>2</sub>O in lines that go on and on. ") * 3
    return [
        (long, {}, True),
        ("Short.", {}, True),
        (long, {"firstLineIndent": 12}, True),
        (long, {"firstLineIndent": -6, "leftIndent": 10}, True),
        (long, {"leftIndent": 7.5, "textColor": HexColor("#1a4d8f")}, True),
        ("Averyveryverylongwordthatcannotfitonanyline" * 2 + " and more", {}, True),
        (long, {"autoLeading": "max"}, True),
        (long, {"autoLeading": "min"}, True),
        ("Zo\u00eb \u0141ucja \u2014 \u03b1\u03b2 \u043a\u0438 text " * 8, {}, True),
        ("<u>underlined text</u> " * 10, {}, True),  # (one style with underlines or links: several, for ReportLab)
        ('<a href="https://example.org">a link</a> ' * 10, {}, True),
        (long, {"alignment": TA_RIGHT}, False),
        (long, {"alignment": TA_CENTER}, False),
        (long, {"alignment": TA_JUSTIFY}, False),
        (long, {"backColor": HexColor("#eeeeee")}, False),
        (long, {"borderColor": HexColor("#000000"), "borderWidth": 1}, False),
        (long, {"bulletText": "\u2022"}, False),
        (mixed, {}, True),
        (mixed, {"firstLineIndent": 9, "leftIndent": 4}, True),
        (mixed, {"autoLeading": "max"}, True),
        (mixed, {"autoLeading": "min"}, True),
        (mixed, {"endDots": "."}, True),
        (mixed, {"alignment": TA_JUSTIFY}, False),
        (mixed, {"bulletText": "1."}, False),
        ("<b>Averyveryverylongwordthatcannotfitonanyline</b>" * 2 + " and <i>more</i>", {}, True),
        ("Words <u>underlined</u>, <strike>struck</strike>, <b>bold</b> and more words after them. " * 4, {}, True),
        ('Read <a href="https://example.org/a">the <b>page</b></a> or <a href="#here">this</a>, then more. ' * 4,
         {}, True),
        ("Some <font backColor='#ffee00'>highlighted</font> words and <b>bold</b> ones, on and on. " * 4, {}, True),
        ("<b>Bold</b> and a break<br/>then <i>italic</i> words on a line of their own and more text" * 2, {}, True),
        ("<b></b>", {}, True),
    ]


@pytest.mark.parametrize("case", range(len(_paragraph_cases())))
def test_a_left_aligned_paragraph_is_drawn_as_reportlab_draws_it(case: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """flowables.Paragraph draws through rl_internals.draw_left_aligned (the paragraphs it takes) or ReportLab's
    drawPara (the others): the same operators as ReportLab's drawPara, on a lean canvas and on ReportLab's."""
    import io

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas

    from booklet import flowables
    from booklet.fonts import font_set
    from booklet.rl_internals import LeanCanvas

    fonts = font_set()
    text, options, ours_draws = _paragraph_cases()[case]
    bullet = options.pop("bulletText", None)
    style = ParagraphStyle(f"case{case}", fontName=fonts.regular, fontSize=10, leading=13, **options)

    def draw(canvas_class: type, lean: bool) -> tuple[list[str], bytes]:
        canvas = canvas_class(io.BytesIO(), invariant=1)
        para = flowables.Paragraph(text, style, bulletText=bullet)
        para.wrap(150, 1000)
        with monkeypatch.context() as m:
            if not lean:  # ReportLab's drawPara draws every paragraph
                m.setattr(flowables, "draw_left_aligned", lambda para: False)
            para.drawOn(canvas, 20, 30)
        code = list(canvas._code)
        canvas.bookmarkPage("here")
        return code, canvas.getpdfdata()  # the page and its link annotations

    taken = []
    monkeypatch.setattr(flowables, "draw_left_aligned",
                        lambda para, draw=flowables.draw_left_aligned: taken.append(draw(para)) or taken[-1])
    theirs = draw(Canvas, lean=False)
    assert draw(LeanCanvas, lean=True) == theirs
    assert draw(Canvas, lean=True) == theirs
    assert taken[0] == ours_draws  # the paragraphs it draws itself (the others: ReportLab's drawPara)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["text", "fontName", "fontSize", "textColor", "rise", "link", "us_lines",
                                        "kind", "lines", "words", "_fkind"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2))),
       st.dictionaries(st.sampled_from(["text", "kind", "lines", "extra"]), st.integers(), max_size=2))
def test_fragments_and_lines_are_copied_as_abag_copies_them(attributes: dict[str, object],
                                                           changes: dict[str, object]) -> None:
    """rl_internals._clone, the clone of paragraph fragments and lines: a new object of the class with the same
    attributes in the same order (the same objects, not copies of them), and the changes asked for."""
    from reportlab.lib.abag import ABag

    from booklet import rl_internals

    for cls in rl_internals.CLONED:
        assert cls.clone is rl_internals._clone
        original = cls(**attributes)
        ours, theirs = original.clone(**changes), ABag.clone(original, **changes)
        assert type(ours) is type(theirs) is cls
        assert ours is not original
        assert list(ours.__dict__.items()) == list(theirs.__dict__.items())
        assert all(ours.__dict__[k] is theirs.__dict__[k] for k in ours.__dict__)
