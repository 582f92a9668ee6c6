"""Tagged PDF: marked content around all drawing, a structure tree that reads in order, the same pages untagged."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest
from conftest import CONTENT, EXAMPLE, RIVERSIDE, squash

from booklet import api, rl_internals, tagging

KINDS = ("booklet", "summary", "large-print", "large-print-summary")

#: Content-stream operators that paint (pikepdf reports an inline image BI/ID/EI as one "INLINE IMAGE").
PAINTING = {"Tj", "TJ", "'", '"', "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "Do", "sh", "BI", "EI",
            "INLINE IMAGE"}

LONG_PARAGRAPH = " ".join(f"Sentence {i} of a long paragraph that has to be split across pages." for i in range(1, 70))
LONG_ROWS = 40

EVERY_BLOCK = textwrap.dedent("""\
    title: Tagging test handout
    subtitle: Every block kind, once
    reference: TAG-001
    version: "1"
    language: en
    audience: People testing tagged PDFs
    authors: [Test team]
    sources: [A source for testing]
    summary:
      - First key point for the summary.
      - Second key point for the summary.
    sections:
      - heading: Words and lists
        key_points: [A key point in a box.]
        body:
          - A plain paragraph with **bold** and *italic* words.
          - bullets: [First bullet, Second bullet]
          - steps: [First step, Second step]
          - callout:
              kind: warning
              title: Call us if you have
              text: A callout paragraph.
              bullets: [A callout bullet]
      - heading: Tables and pictures
        body:
          - table:
              columns: [Test, What it shows]
              rows: [[CT scan, Pictures made with X-rays], [Bone scan, Areas of bone]]
          - image:
              src: images/spread-map.png
              alt: A body outline with red dots
              caption: Where it spreads
              width: 50%
          - image:
              src: images/spread-map.svg
              alt: The same outline as a drawing
              width: 40%
          - qr: {url: "https://example.org/video", caption: Watch the video}
      - heading: Your notes
        body:
          - questions: [What is my treatment?, Who do I call?]
          - notes: 3
          - glossary: {Biopsy: Taking a small piece of tissue., Oncologist: A doctor who treats cancer.}
          - page_break: true
          - A paragraph after a page break.
      - heading: Long things
        body:
          - "LONG_PARAGRAPH"
          - table:
              columns: [Name, Value]
              rows:
    """).replace("LONG_PARAGRAPH", LONG_PARAGRAPH) + "".join(
    f'            - ["Row {i}", "Value {i} in a table long enough to be split across pages"]\n'
    for i in range(1, LONG_ROWS + 1))


@pytest.fixture(scope="module")
def every_block(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("every-block")
    (folder / "images").mkdir()
    for name in ("spread-map.png", "spread-map.svg"):
        shutil.copy(CONTENT / "images" / name, folder / "images" / name)
    path = folder / "every-block.yaml"
    path.write_text(EVERY_BLOCK, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def build(every_block: Path):  # type: ignore[no-untyped-def]
    """build(source, kind, tags=True, pdfua=False) -> PDF bytes; source is "example" or "every-block"."""
    sources = {"example": EXAMPLE, "every-block": every_block}

    @functools.cache
    def prepared(source: str, kind: str) -> api.Prepared:
        handout, clinic = api.load(sources[source], RIVERSIDE)
        return api.prepare(handout, clinic, kind)

    @functools.cache
    def make(source: str, kind: str, tags: bool = True, pdfua: bool = False) -> bytes:
        return api.render_prepared(prepared(source, kind), tags=tags, pdfua=pdfua).pdf

    return make


def open_pdf(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


# -- reading marked content and the structure tree --------------------------------------
def marked_content_problems(data: bytes) -> list[str]:
    """Painting outside BDC/EMC or /Artifact BMC/EMC, and nested or unbalanced sequences, on every page;
    any marked content inside a form XObject (a form is tagged by the sequence around its Do)."""
    pdf = open_pdf(data)
    problems: list[str] = []
    forms: dict[tuple[int, int], pikepdf.Stream] = {}
    for number, page in enumerate(pdf.pages, 1):
        open_tags: list[str] = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BDC", "BMC"):
                tag = str(operands[0])
                if open_tags:
                    problems.append(f"page {number}: {tag} {op} nested in {open_tags[-1]}")
                open_tags.append(tag)
            elif op == "EMC":
                if not open_tags:
                    problems.append(f"page {number}: EMC with no open sequence")
                else:
                    open_tags.pop()
            elif op in PAINTING and not open_tags:
                problems.append(f"page {number}: {op} {[str(o)[:30] for o in operands]} outside marked content")
        if open_tags:
            problems.append(f"page {number}: {open_tags} still open at the end of the page")
        for xobject in page.resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form":
                forms[xobject.objgen] = xobject
    for objgen, form in forms.items():
        for _, operator in pikepdf.parse_content_stream(form):
            if str(operator) in ("BDC", "BMC", "EMC"):
                problems.append(f"form {objgen}: has its own marked content ({operator})")
    return problems


@dataclass
class Node:
    role: str
    alt: str | None
    attributes: dict[str, object]
    kids: list = field(default_factory=list)  # Node | ("mcr", page, mcid) | ("objr", objgen)
    objgen: tuple[int, int] = (0, 0)

    def walk(self):  # type: ignore[no-untyped-def]
        yield self
        for kid in self.kids:
            if isinstance(kid, Node):
                yield from kid.walk()

    def marks(self) -> list[tuple[int, int]]:
        """(page, MCID) of all content under this element, in order."""
        out = []
        for kid in self.kids:
            if isinstance(kid, Node):
                out += kid.marks()
            elif kid[0] == "mcr":
                out.append(kid[1:])
        return out

    def children(self, role: str | None = None) -> list[Node]:
        return [k for k in self.kids if isinstance(k, Node) and (role is None or k.role == role)]


def structure(pdf: pikepdf.Pdf) -> Node:
    pages = {p.objgen: i for i, p in enumerate(pdf.pages)}

    def items(value):  # type: ignore[no-untyped-def]
        if value is None:
            return []
        return list(value) if isinstance(value, pikepdf.Array) else [value]

    def node(d: pikepdf.Dictionary, page: int | None) -> Node:
        if "/Pg" in d:
            page = pages[d.Pg.objgen]
        attributes = {}
        if "/A" in d:
            attributes = {str(k)[1:]: [float(x) for x in v] if isinstance(v, pikepdf.Array) else str(v)
                          for k, v in d.A.items()}
        n = Node(str(d.S)[1:], str(d.Alt) if "/Alt" in d else None, attributes, objgen=d.objgen)
        for item in items(d.get("/K")):
            if isinstance(item, int):
                n.kids.append(("mcr", page, int(item)))
            elif item.get("/Type") == "/MCR":
                n.kids.append(("mcr", pages[item.Pg.objgen] if "/Pg" in item else page, int(item.MCID)))
            elif item.get("/Type") == "/OBJR":
                n.kids.append(("objr", item.Obj.objgen))
            else:
                n.kids.append(node(item, page))
        return n

    tree = pdf.Root.StructTreeRoot
    documents = items(tree.K)
    assert len(documents) == 1
    return node(documents[0], None)


def marked_text(data: bytes) -> dict[tuple[int, int], str]:
    """Text drawn in each marked-content sequence, keyed by (page index, MCID); artifacts under (page, -1)."""
    import pdfplumber

    out: dict[tuple[int, int], str] = defaultdict(str)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for i, page in enumerate(pdf.pages):
            for ch in page.chars:
                mcid = ch.get("mcid")
                if mcid is None:
                    assert ch.get("tag") == "Artifact", f"page {i + 1}: {ch['text']!r} is neither content nor artifact"
                    mcid = -1
                out[(i, mcid)] += ch["text"]
    return out


def text_of(node: Node, texts: dict[tuple[int, int], str]) -> str:
    return squash("".join(texts.get(mark, "") for mark in node.marks()))


@pytest.fixture(scope="module")
def every_tree(build):  # type: ignore[no-untyped-def]
    data = build("every-block", "booklet")
    return structure(open_pdf(data)), marked_text(data), open_pdf(data)


# -- nothing is drawn untagged ---------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("source", ["every-block", "example"])
def test_all_drawing_is_marked_content_or_artifact(build, source: str, kind: str) -> None:
    assert marked_content_problems(build(source, kind)) == []


def test_the_walker_catches_untagged_drawing() -> None:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.addLiteral("/P <</MCID 0>> BDC")
    canvas.drawString(72, 72, "tagged")
    canvas.addLiteral("EMC")
    canvas.rect(10, 10, 20, 20, fill=1)
    canvas.addLiteral("/Artifact BMC")
    canvas.addLiteral("/P <</MCID 1>> BDC")
    canvas.addLiteral("EMC")
    canvas.save()
    problems = marked_content_problems(buffer.getvalue())
    assert any("outside marked content" in p for p in problems)
    assert any("nested" in p for p in problems)
    assert any("still open" in p for p in problems)


def test_the_tagging_canvas_refuses_a_sequence_left_open_at_a_page_end() -> None:
    canvas = tagging.TaggingCanvas(io.BytesIO())
    tagger = tagging.tagger_of(canvas)
    assert tagger is not None
    tagger.enter(tagging.Tag("P"))
    canvas.drawString(72, 72, "never closed")
    with pytest.raises(tagging.TaggingError, match="still open"):
        canvas.showPage()


def test_a_link_drawn_outside_a_link_element_still_gets_one() -> None:
    from reportlab.platypus import SimpleDocTemplate

    from booklet.flowables import QrCode

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build([tagging.wrap(QrCode("https://example.org", 60), tagging.ARTIFACT)],
                                    canvasmaker=tagging.TaggingCanvas)
    pdf = open_pdf(buffer.getvalue())
    link = next(n for n in structure(pdf).walk() if n.role == "Link")
    assert [k[0] for k in link.kids] == ["objr"]
    assert marked_content_problems(buffer.getvalue()) == []


# -- the structure tree --------------------------------------------------------------------
def test_every_block_kind_has_its_role_and_text_in_reading_order(every_tree) -> None:  # type: ignore[no-untyped-def]
    doc, texts, _ = every_tree
    assert doc.role == "Document"
    top = [(n.role, text_of(n, texts)) for n in doc.children()]
    expected = [
        ("Figure", None),  # the clinic's logo
        ("P", "Riverside Breast Care Unit"),
        ("H1", "Tagging test handout"),
        ("H2", "Every block kind, once"),  # the subtitle: the heading under the title
        ("P", "People testing tagged PDFs"),  # the audience, in the cover band: read after the title
        ("H2", "Contents"),
        ("TOC", None),
        ("H2", "At a glance"),
        ("L", None),
        ("H2", "Words and lists"),
        ("Div", None),  # key points
        ("P", "A plain paragraph with bold and italic words."),
        ("L", "•First bullet•Second bullet"),
        ("L", "1.First step2.Second step"),
        ("Div", None),  # the callout
        ("H2", "Tables and pictures"),
        ("Table", "TestWhat it showsCT scanPictures made with X-raysBone scanAreas of bone"),
        ("Figure", None),
        ("Caption", "Where it spreads"),
        ("Link", None),  # the QR code
        ("P", "Watch the video"),
        ("P", None),  # "Scan the code or go to:"
        ("P", "https://example.org/video"),
        # The SVG figure, enlarged so that its labels print at 9 pt, does not fit the rest of its page:
        # it waits for the next one while the text after it fills this page, and is read where it is printed.
        ("Figure", None),
        ("H2", "Your notes"),
        ("L", "What is my treatment?Who do I call?"),  # questions: checkboxes and lines are artifacts
        ("L", "BiopsyTaking a small piece of tissue.OncologistA doctor who treats cancer."),  # glossary
        ("P", "A paragraph after a page break."),
        ("H2", "Long things"),
        ("P", LONG_PARAGRAPH),
        ("Table", None),
    ]
    assert [role for role, _ in top[:len(expected)]] == [role for role, _ in expected]
    for (role, text), (_, want) in zip(top, expected, strict=False):
        if want is not None:
            assert text == squash(want), role
    back = top[len(expected):]
    assert ("H3", squash("Riverside Breast Care Unit")) in back  # the back page
    assert any(role == "L" and squash("A source for testing") in text for role, text in back)


def test_lists_tables_callouts_and_the_contents_nest_as_pdf_says(every_tree) -> None:  # type: ignore[no-untyped-def]
    doc, texts, _ = every_tree
    top = doc.children()
    by_role = defaultdict(list)
    for n in top:
        by_role[n.role].append(n)

    toc = by_role["TOC"][0]
    entries = toc.children()
    assert [e.role for e in entries] == ["TOCI"] * 4
    assert text_of(entries[0], texts).startswith(squash("Words and lists"))
    assert text_of(entries[0], texts)[len(squash("Words and lists")):].isdigit()  # its page number (a form)

    bullets = next(n for n in by_role["L"] if text_of(n, texts).startswith("•First"))
    for item in bullets.children():
        assert item.role == "LI"
        assert [k.role for k in item.children()] == ["Lbl", "LBody"]

    key_points, callout = by_role["Div"][:2]
    assert [k.role for k in key_points.children()] == ["H3", "L"]
    assert text_of(key_points.children()[0], texts) == squash("Key points")
    assert [k.role for k in callout.children()] == ["H3", "P", "L"]
    assert text_of(callout.children()[0], texts).endswith(squash("Call us if you have"))

    table = by_role["Table"][0]
    rows = table.children()
    assert [r.role for r in rows] == ["TR"] * 3
    assert [c.role for c in rows[0].children()] == ["TH", "TH"]
    assert all(c.attributes == {"O": "/Table", "Scope": "/Column"} for c in rows[0].children())
    assert [c.role for c in rows[1].children()] == ["TD", "TD"]

    questions = next(n for n in by_role["L"] if text_of(n, texts).startswith(squash("What is my")))
    assert [[k.role for k in item.children()] for item in questions.children()] == [["LBody"], ["LBody"]]
    glossary = next(n for n in by_role["L"] if text_of(n, texts).startswith("Biopsy"))
    assert [[text_of(k, texts) for k in item.children()] for item in glossary.children()] == [
        ["Biopsy", squash("Taking a small piece of tissue.")], ["Oncologist", squash("A doctor who treats cancer.")]]


def test_figures_have_alt_text_and_a_box(every_tree) -> None:  # type: ignore[no-untyped-def]
    doc, _, _ = every_tree
    figures = [n for n in doc.walk() if n.role == "Figure"]
    assert [f.alt for f in figures] == ["Riverside Breast Care Unit logo", "A body outline with red dots",
                                        "QR code linking to https://example.org/video", "The same outline as a drawing"]
    for f in figures:
        assert f.attributes.get("O") == "/Layout"
        x0, y0, x1, y1 = f.attributes["BBox"]  # type: ignore[misc]
        assert x1 > x0
        assert y1 > y0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("source", ["every-block", "example"])
def test_every_figure_has_alt_text(build, source: str, kind: str) -> None:
    doc = structure(open_pdf(build(source, kind)))
    figures = [n for n in doc.walk() if n.role == "Figure"]
    assert figures  # the logo at least
    assert all(f.alt and f.alt.strip() for f in figures)


def test_the_qr_code_is_a_link_with_its_annotation(every_tree) -> None:  # type: ignore[no-untyped-def]
    doc, _, pdf = every_tree
    link = next(n for n in doc.walk() if n.role == "Link" and n.children("Figure"))
    assert [k.role if isinstance(k, Node) else k[0] for k in link.kids] == ["Figure", "objr"]
    annotation = pdf.get_object(link.kids[1][1])
    assert annotation.Subtype == "/Link"
    assert str(annotation.A.URI) == "https://example.org/video"
    assert str(annotation.Contents) == "QR code linking to https://example.org/video"
    assert int(annotation.F) == 4  # printed
    assert parent_tree(pdf)[int(annotation.StructParent)].objgen == link.objgen


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    parents = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
    return dict(zip(parents[::2], parents[1::2], strict=False))


def link_annotations(link: Node, pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """A Link element's annotations (its OBJR kids), each checked to name the element back and to print."""
    found = [pdf.get_object(k[1]) for k in link.kids if not isinstance(k, Node) and k[0] == "objr"]
    tree = parent_tree(pdf)
    for annotation in found:
        assert annotation.Subtype == "/Link"
        assert tree[int(annotation.StructParent)].objgen == link.objgen
        assert int(annotation.F) == 4
        assert str(annotation.Contents)
    return found


def test_contents_entries_link_to_their_sections(every_tree) -> None:  # type: ignore[no-untyped-def]
    """TOC > TOCI > Link (the heading's text, its annotation, the page number); the link goes to the page
    the section's heading is on (WCAG-2-2-Complete 4.1.2-48: a TOCI needs a destination)."""
    doc, texts, pdf = every_tree
    toc = next(n for n in doc.walk() if n.role == "TOC")
    pages = {p.objgen: i for i, p in enumerate(pdf.pages)}
    headings = {text_of(n, texts): n.marks()[0][0] for n in doc.children("H2")}
    for entry, title in zip(toc.children(), ["Words and lists", "Tables and pictures", "Your notes", "Long things"],
                            strict=True):
        [link] = entry.children()
        assert link.role == "Link"
        assert [k[0] if isinstance(k, tuple) else k.role for k in link.kids] == ["mcr", "objr", "mcr"]
        number = texts[link.kids[2][1:]]
        assert squash(texts[link.kids[0][1:]] + number) == text_of(entry, texts)
        [annotation] = link_annotations(link, pdf)
        assert str(annotation.Contents) == title
        assert "/A" not in annotation
        target = annotation.Dest[0] if isinstance(annotation.Dest, pikepdf.Array) else annotation.Dest
        page = pages[target[0].objgen] if isinstance(target, pikepdf.Array) else pages[target.objgen]
        assert page == headings[squash(title)] == int(number) - 1


def test_addresses_are_live_links_with_their_text_in_a_link_element(every_tree) -> None:  # type: ignore[no-untyped-def]
    """A web address, an e-mail address and a phone number printed in a paragraph: each a Link element inside
    the paragraph holding exactly its printed text and its annotation (https:, mailto:, tel: digits only),
    the paragraph's own text before and after it in order."""
    doc, texts, pdf = every_tree
    targets = {}
    for link in (n for n in doc.walk() if n.role == "Link" and not n.children("Figure")):
        if link.kids and any(isinstance(k, tuple) and k[0] == "objr" for k in link.kids):
            for annotation in link_annotations(link, pdf):
                if "/A" in annotation:
                    targets[str(annotation.A.URI)] = (text_of(link, texts), str(annotation.Contents))
    assert targets["https://example.org/video"] == ("https://example.org/video", "example.org/video")
    assert targets["tel:01234567890"] == (squash("01234 567 890"), "01234567890")
    assert targets["mailto:breastcare@riverside.example"] == ("breastcare@riverside.example",) * 2
    assert targets["https://riverside.example/breastcare"][0] == "riverside.example/breastcare".join(["https://", ""])
    phone = next(n for n in doc.walk() if n.role == "P" and text_of(n, texts).startswith(squash("Phone:")))
    assert [k[0] if isinstance(k, tuple) else k.role for k in phone.kids] == ["mcr", "Link"]
    assert text_of(phone, texts) == squash("Phone: 01234 567 890")


def test_author_markup_never_makes_a_link(write_yaml, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Only booklet makes links, from addresses it found in the text; typed markup prints as typed."""
    path = write_yaml("""\
        title: Links
        sections:
          - heading: One
            body:
              - 'Click <a href="javascript:alert(1)">here</a> or <link href="file:///etc/passwd">this</link>.'
              - 'Mail nurse@clinic.example, call +44 20 7946 0123 or see www.clinic.example/a?b=1&c="2".'
        """)
    handout, clinic = api.load(path, RIVERSIDE)
    pdf = open_pdf(api.render_prepared(api.prepare(handout, clinic, "booklet")).pdf)
    uris = {str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a}
    clinic_links = {"https://riverside.example/breastcare", "mailto:breastcare@riverside.example", "tel:01234567890"}
    assert uris == clinic_links | {"https://www.clinic.example/a?b=1&c=", "mailto:nurse@clinic.example",
                                   "tel:+442079460123"}
    text = squash(" ".join(page.extract_text() for page in pdfplumber_pages(pdf)))
    assert squash('Click <a href="javascript:alert(1)">here</a>') in text


def pdfplumber_pages(pdf: pikepdf.Pdf) -> list:  # type: ignore[type-arg]
    import pdfplumber

    data = io.BytesIO()
    pdf.save(data)
    return list(pdfplumber.open(data).pages)


def test_mailto_and_tel_links_are_written_and_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Link targets are only written into annotations: ReportLab may open local files only
    (`trustedSchemes`), and no network call is made while building."""
    import socket
    import urllib.request

    from reportlab import rl_config

    from booklet import render

    assert render.rl_config.trustedSchemes == ["file"] == rl_config.trustedSchemes
    assert rl_config.trustedHosts is None

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("booklet tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    handout, clinic = api.load(EXAMPLE, RIVERSIDE)
    pdf = open_pdf(api.render_prepared(api.prepare(handout, clinic, "summary")).pdf)
    schemes = {str(a.A.URI).split(":")[0] for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a}
    assert {"https", "tel"} <= schemes


def test_a_paragraph_and_a_table_split_across_pages_stay_one_element(every_tree) -> None:  # type: ignore[no-untyped-def]
    doc, texts, _ = every_tree
    long_paragraph = [n for n in doc.children("P") if text_of(n, texts) == squash(LONG_PARAGRAPH)]
    assert len(long_paragraph) == 1
    assert len({page for page, _ in long_paragraph[0].marks()}) >= 2

    table = doc.children("Table")[-1]
    rows = table.children("TR")
    assert len(rows) == LONG_ROWS + 1
    assert [c.role for c in rows[0].children()] == ["TH", "TH"]  # the header once, not once per page
    assert all(c.role == "TD" for r in rows[1:] for c in r.children())
    pages = sorted({page for page, _ in table.marks()})
    assert len(pages) >= 2
    # On the pages the table continues onto, its repeated header row is an artifact.
    for page in pages[1:]:
        assert squash("NameValue") in squash(texts.get((page, -1), ""))


def test_running_footers_are_artifacts_in_no_element(every_tree) -> None:  # type: ignore[no-untyped-def]
    doc, texts, pdf = every_tree
    content = [text_of(n, texts) for n in doc.walk() if n.role in ("P", "H1", "H2", "H3")]
    for page in range(1, len(pdf.pages) - 1):  # every page but the cover and the back page has a footer
        footer = squash(f"Tagging test handout · TAG-001 Page {page + 1}")
        assert footer in squash(texts.get((page, -1), "")), page
        assert not any(f"Page{page + 1}" in text for text in content)


def test_the_parent_tree_agrees_with_the_marked_content_on_the_pages(build) -> None:  # type: ignore[no-untyped-def]
    for source, kind in (("every-block", "booklet"), ("every-block", "summary"), ("every-block", "large-print")):
        pdf = open_pdf(build(source, kind))
        doc = structure(pdf)
        nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
        parent_tree = dict(zip((int(k) for k in nums[::2]), nums[1::2], strict=False))
        by_objgen = {n.objgen: n for n in doc.walk()}
        in_tree = {mark for n in doc.walk() for kid in n.kids if not isinstance(kid, Node) and kid[0] == "mcr"
                   for mark in [kid[1:]]}
        on_pages = set()
        for i, page in enumerate(pdf.pages):
            assert page.Tabs == "/S"
            mcids = [int(operands[1].MCID) for operands, op in pikepdf.parse_content_stream(page)
                     if str(op) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]]
            assert mcids == list(range(len(mcids))), f"page {i + 1}: MCIDs not numbered 0, 1, 2, ..."
            elems = parent_tree[int(page.StructParents)]
            assert len(elems) == len(mcids), f"page {i + 1}"
            for mcid, elem in enumerate(elems):
                assert ("mcr", i, mcid) in by_objgen[elem.objgen].kids, f"page {i + 1} MCID {mcid}"
            on_pages |= {(i, m) for m in mcids}
        assert in_tree == on_pages
        assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == max(parent_tree) + 1


# -- document-level entries ----------------------------------------------------------------
def test_catalog_pages_and_metadata_say_tagged(build) -> None:  # type: ignore[no-untyped-def]
    pdf = open_pdf(build("every-block", "booklet"))
    assert pdf.pdf_version == "1.7"
    assert pdf.Root.MarkInfo.Marked is True
    assert str(pdf.Root.Lang) == "en"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    assert all("/StructParents" in p and p.Tabs == "/S" for p in pdf.pages)
    with pdf.open_metadata() as xmp:
        assert xmp["dc:title"] == "Tagging test handout"
        assert "en" in str(xmp["dc:language"])
        assert "pdfuaid:part" not in xmp


def test_pdfua_identifier_only_on_request(build) -> None:  # type: ignore[no-untyped-def]
    pdf = open_pdf(build("every-block", "summary", pdfua=True))
    with pdf.open_metadata() as xmp:
        assert xmp["pdfuaid:part"] == "1"
        assert xmp["dc:title"] == "Tagging test handout"


def test_untagged_has_no_structure_and_no_marked_content(build) -> None:  # type: ignore[no-untyped-def]
    pdf = open_pdf(build("every-block", "booklet", tags=False))
    assert "/StructTreeRoot" not in pdf.Root
    assert "/MarkInfo" not in pdf.Root
    for page in pdf.pages:
        assert "/StructParents" not in page
        assert not [op for _, op in pikepdf.parse_content_stream(page) if str(op) in ("BDC", "BMC", "EMC")]


def test_same_input_same_bytes(build, every_block: Path) -> None:  # type: ignore[no-untyped-def]
    handout, clinic = api.load(every_block, RIVERSIDE)
    again = api.render_prepared(api.prepare(handout, clinic, "booklet")).pdf
    assert again == build("every-block", "booklet")


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
@pytest.mark.parametrize("kind", KINDS)
def test_qpdf_check_passes(build, kind: str, tmp_path: Path) -> None:
    path = tmp_path / "tagged.pdf"
    path.write_bytes(build("every-block", kind))
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the same pages either way -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["booklet", "summary", "large-print"])
def test_text_extraction_is_the_same_tagged_or_not(build, kind: str) -> None:
    import pdfplumber

    texts = []
    for tags in (True, False):
        with pdfplumber.open(io.BytesIO(build("every-block", kind, tags=tags))) as pdf:
            texts.append([page.extract_text() for page in pdf.pages])
    assert texts[0] == texts[1]


@pytest.mark.parametrize("kind", KINDS)
def test_pages_render_the_same_tagged_or_not(build, kind: str) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    documents = [pdfium.PdfDocument(build("every-block", kind, tags=tags)) for tags in (True, False)]
    assert len(documents[0]) == len(documents[1])
    for number in range(len(documents[0])):
        tagged, untagged = (d[number].render(scale=50 / 72).to_pil() for d in documents)
        assert tagged.size == untagged.size, f"page {number + 1} differs in size"
        assert tagged.tobytes() == untagged.tobytes(), f"page {number + 1} differs"


@pytest.mark.parametrize("kind", ["booklet", "summary"])
def test_the_untagged_pdf_is_what_booklet_drew_before_tagging(build, kind: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Tagging wrappers change no layout: without any of them the untagged PDF is the same, byte for byte."""
    from reportlab.platypus import ListFlowable

    monkeypatch.setattr(tagging, "ensure", lambda f: f)
    monkeypatch.setattr(tagging, "ensure_cell", lambda v: v)
    monkeypatch.setattr(tagging, "TaggedList", lambda items, tag=None, **kw: ListFlowable(items, **kw))
    monkeypatch.setattr(tagging, "tagged", lambda f, *args, **kw: f)
    monkeypatch.setattr(tagging, "wrap", lambda f, tag: f)
    monkeypatch.setattr(tagging, "table_cells", lambda data, header_rows=1: (data, None))
    monkeypatch.setattr(tagging, "decoration", lambda draw: draw)
    bare = build.__wrapped__("every-block", kind, tags=False)  # not the cached build: compose again
    assert bare == build("every-block", kind, tags=False)


# -- the command line and the internals ----------------------------------------------------------
def test_no_tags_and_pdfua_on_the_command_line(run_cli, every_block: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    untagged, ua = tmp_path / "untagged.pdf", tmp_path / "ua.pdf"
    code, _, err = run_cli("build", every_block, "--clinic", RIVERSIDE, "--no-tags", "-o", untagged)
    assert code == 0, err
    assert "/StructTreeRoot" not in open_pdf(untagged.read_bytes()).Root
    code, _, err = run_cli("summary", every_block, "--clinic", RIVERSIDE, "--pdfua", "-o", ua)
    assert code == 0, err
    with open_pdf(ua.read_bytes()).open_metadata() as xmp:
        assert xmp["pdfuaid:part"] == "1"
    code, out, _ = run_cli("build", "--help")
    assert "--no-tags" in out
    assert "--pdfua" in out


def test_reportlab_is_the_series_the_internals_were_checked_against() -> None:
    rl_internals.check_version()
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"reportlab>=5.1,<5.2"' in pyproject


# -- word boundaries at line ends ----------------------------------------------------------
def _drawn_text(pdf: bytes) -> str:
    """The characters in the order the content streams draw them, with nothing added between
    lines: what a reader following the tags gets."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join(ch["text"] for page in doc.pages for ch in page.chars)


@pytest.mark.parametrize("large_print", [False, True])
def test_a_line_that_ends_between_two_words_ends_with_a_space(tmp_path: Path, large_print: bool) -> None:
    words = ("Patients often ask what happens next after their families have heard the news and "
             "**how long the treatment takes** before the first scan can show whether it works").split()
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 8  # longer than a line: split, no space
    handout = tmp_path / "h.yaml"
    handout.write_text("title: T\nsections:\n  - heading: H\n    body:\n"
                       f"      - \"{' '.join(words)}\"\n      - {long_word} ends here.\n", encoding="utf-8")
    handout_model, clinic = api.load(handout)
    variant = "large-print" if large_print else "booklet"
    drawn = _drawn_text(api.render_prepared(api.prepare(handout_model, clinic, variant)).pdf)
    plain_words = " ".join(words).replace("**", "")
    assert plain_words in drawn  # every line break between two words reads as a space
    assert f"{long_word} ends here." in drawn  # a word split across lines reads whole


def test_link_targets_are_built_from_the_address_found() -> None:
    from booklet import text as tx

    markup = tx.markup('See www.x.example/a?b=1&c=2, mail **me@x.example** or call +44 (20) 7946-0123 "now"')
    linked = tx.with_links(markup)
    assert '<a href="https://www.x.example/a?b=1&amp;c=2">www.x.example/a?b=1&amp;c=2</a>,' in linked
    assert '<b><a href="mailto:me@x.example">me@x.example</a></b>' in linked
    phone = '<a href="tel:+442079460123">+44\u00a0(20)\u00a07946-0123</a>'
    assert f"{phone} &quot;now&quot;" not in linked  # text quotes are not escaped again
    assert f'{phone} "now"' in linked
    assert tx.with_links(tx.markup("www.x.**example**")) == tx.markup("www.x.**example**")  # broken by a tag
    assert tx.link_target("0207\u00a0946\u00a00123") == "tel:02079460123"
    assert tx.link_target("\u0660\u0661\u0662 345 678") == "tel:012345678"  # Arabic-Indic digits, ASCII target
    marked = tagging.link_marks(linked)
    assert marked.count(f'name="{tagging.LINK_CALLBACK}"') == 2 * linked.count("<a ")
