"""Personalised copies (booklet/reuse.py, render.seed_subsets): a batch row's copy is the PDF a fresh
`booklet build --set` of that row makes, byte for byte, whether its pages were drawn in full or written
from the template; and with the font subsets seeded, the pages that do not show a value are the same
bytes in every copy."""

from __future__ import annotations

import csv
import gc
import io
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from click.testing import CliRunner
from conftest import CONTENT, EXAMPLE, VERAPDF, assert_pdfua, assert_verapdf_ua1, normalise
from pypdf import PdfReader
from reportlab.platypus import PageBreak, Spacer

from booklet import api, batch, compose_booklet, reuse, tagging
from booklet import render as rendering
from booklet.cli import main

NAMES = {
    "accents": "Zoë O'Brien",
    "other accents": "Łucja Dvořák",
    "Vietnamese": "Nguyễn Thị Thanh Hà",
    "very long": "Siobhán " + "Müller-Lüdenscheidt " * 14 + "Ó Súilleabháin",
    "empty": "",
}


@pytest.fixture(scope="module")
def personal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example handout with the patient's name on the cover and in its first paragraph."""
    folder = tmp_path_factory.mktemp("personal")
    shutil.copytree(CONTENT / "images", folder / "images")
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"^audience: .*$", "audience: Prepared for {{ patient_name }} (hospital number {{ patient_id }})",
                  text, count=1, flags=re.M)
    text = text.replace("    body:\n", '    body:\n      - "{{ patient_name }}, this booklet is for you."\n', 1)
    path = folder / "personal.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def prepared(personal: Path) -> dict[str, api.Prepared]:
    handout, clinic = api.load(personal)
    return {variant: api.prepare(handout, clinic, variant) for variant in ("booklet", "large-print")}


def values(name: str) -> dict[str, str]:
    return {"patient_name": name, "patient_id": "P00042"}


def page_streams(pdf: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [page.Contents.read_raw_bytes() for page in doc.pages]


def page_texts(pdf: bytes) -> list[str]:
    return [normalise(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


# -- step 1: seeded subsets --------------------------------------------------------------
def test_pages_without_the_name_are_the_same_bytes_in_every_copy(prepared: dict[str, api.Prepared]) -> None:
    p = prepared["large-print"]
    first = api.render_prepared(p, values(NAMES["accents"])).pdf
    second = api.render_prepared(p, values(NAMES["other accents"])).pdf
    a, b = page_streams(first), page_streams(second)
    assert len(a) == 20
    assert len(b) == 20
    shows_name = [i for i, text in enumerate(page_texts(first)) if "O'Brien" in text]
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    assert shows_name == [0, 3]  # the cover and the first section
    assert differ == shows_name  # 18 of 20 pages identical, though 'ë', 'Ł' and 'ř' are new to the handout


def test_seed_is_the_handouts_characters_in_code_point_order(prepared: dict[str, api.Prepared]) -> None:
    p = prepared["booklet"]
    seed = dict(p.subset_seed)
    assert set(seed) == {p.fonts.regular, p.fonts.bold, p.fonts.italic, p.fonts.bold_italic}
    text = seed[p.fonts.regular]
    assert list(text) == sorted(set(text))
    assert all(ord(ch) > 0x7F for ch in text)
    assert "\u2022" in text  # list bullets are printed
    assert "\u00ad" not in text  # soft hyphens never are


def test_a_handout_without_placeholders_is_not_seeded() -> None:
    """One copy each: nothing to reuse, so its bytes stay as they were without a seed."""
    handout, clinic = api.load(EXAMPLE)
    assert api.prepare(handout, clinic).subset_seed == ()


# -- steps 2 and 3: copies written from the template ----------------------------------------
@pytest.mark.parametrize("variant", ["large-print", "booklet"])
@pytest.mark.parametrize("row", list(NAMES))
def test_a_copy_is_the_build_of_its_row(prepared: dict[str, api.Prepared], variant: str, row: str) -> None:
    p = prepared[variant]
    copy = reuse.render_copy(p, values(NAMES[row]))
    build = api.render_prepared(p, values(NAMES[row]))
    assert copy.pdf == build.pdf
    assert copy.pages == build.pages
    assert copy.warnings == build.warnings


def test_which_copies_are_written_from_the_template(prepared: dict[str, api.Prepared],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The name is on pages 1 and 4: a copy draws pages 1-5 of each layout (the booklet is laid out twice: its
    contents page is revised; 4 pages are drawn of the second layout, which has no contents page). The very
    long name pushes text onto the next page, so that copy is rendered in full."""
    large = reuse.template_for(prepared["large-print"], reuse.Options())
    assert large is not None
    assert ([layout.stop for layout in large.layouts], large.kept, large.pages) == ([5], 0, 20)
    booklet = reuse.template_for(prepared["booklet"], reuse.Options())
    assert booklet is not None
    assert ([layout.stop for layout in booklet.layouts], booklet.kept, booklet.pages) == ([5, 4], 0, 20)
    # The pages between the two that show the name are laid out but not drawn: a copy has the template's.
    assert [layout.blank for layout in large.layouts] == [{2, 3}]
    assert [layout.blank for layout in booklet.layouts] == [{2, 3}, {2}]
    full: list[str] = []
    render_prepared = api.render_prepared

    def counted(p: api.Prepared, values: dict[str, str], **kw: object) -> api.Result:
        full.append(values["patient_name"])
        return render_prepared(p, values, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "render_prepared", counted)
    for variant in ("large-print", "booklet"):
        full.clear()
        for name in NAMES.values():
            reuse.render_copy(prepared[variant], values(name))
        assert full == [NAMES["very long"]], variant


def test_a_copy_composes_only_the_sections_its_first_pages_show(prepared: dict[str, api.Prepared],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The template notes how many sections the first pages show; a copy composes those alone
    (each heading is still made: the contents page lists every section) and is still its row's build."""
    p = prepared["large-print"]
    template = reuse.template_for(p, reuse.Options())
    assert template is not None
    assert [layout.sections for layout in template.layouts] == [2]  # the name is on pages 1 and 4, in section 1
    assert len(p.handout.sections) == 8
    composed: list[str] = []
    section_body = compose_booklet.section_body

    def counted(c: Any, section: Any, frame_height: float) -> Any:
        composed.append(section.heading)
        return section_body(c, section, frame_height)

    monkeypatch.setattr(compose_booklet, "section_body", counted)
    copy = reuse.render_copy(p, values(NAMES["accents"]))
    assert composed == [s.heading for s in p.handout.sections[:2]]
    composed.clear()
    build = api.render_prepared(p, values(NAMES["accents"]))
    assert len(composed) == 8
    assert copy.pdf == build.pdf


def test_a_part_too_short_for_the_pages_drawn_is_not_used(prepared: dict[str, api.Prepared]) -> None:
    """A story composed in part ends in render.PartEnd: laying it out to its end raises PartEnded rather than
    finishing a shorter document, so a copy whose part runs short of its check page is rendered in full."""
    p = prepared["large-print"]
    row = values(NAMES["accents"])
    spec = reuse._spec(p, row, reuse.Options())
    spec.sections_only = 1
    with pytest.raises(rendering.PartEnded):
        rendering._laid_out(spec, spec.story)
    template = reuse.template_for(p, reuse.Options())
    assert template is not None
    assert reuse._copy(template, reuse._spec(p, row, reuse.Options())) == api.render_prepared(p, row).pdf
    short = replace(template, layouts=tuple(replace(layout, sections=1) for layout in template.layouts))
    assert reuse._copy(short, reuse._spec(p, row, reuse.Options())) is None


def test_a_blank_page_notes_where_its_flowables_went(prepared: dict[str, api.Prepared]) -> None:
    """A page a copy lays out but does not draw (it has the template's) keeps a note of where each flowable
    went: a copy whose layout differs on such a page alone (the pages drawn are the same) is rendered in full."""
    p = prepared["large-print"]
    template = reuse.template_for(p, reuse.Options())
    assert template is not None
    layout = template.layouts[template.kept]
    assert layout.blank == {2, 3}
    spec = reuse._spec(p, values(NAMES["accents"]), reuse.Options())
    story = spec.story

    def lower(back_pages: int | None, part: int = 0) -> list[Any]:
        """The story with page 2's flowables 6 points lower (after the cover's page break), under a space that
        draws nothing (a bare Spacer draws an empty state save and restore)."""
        flowables = story(back_pages, part)
        first_break = next(i for i, f in enumerate(flowables) if isinstance(f, PageBreak))
        space = tagging.wrap(Spacer(1, 6), tagging.ARTIFACT)
        return [*flowables[:first_break + 1], space, *flowables[first_break + 1:]]

    drawn = {}
    for name, laid_out in (("as composed", story), ("lower", lower)):
        first = reuse._first_pages(spec, laid_out, layout.stop, layout.sections, layout.blank)
        assert first is not None
        drawn[name] = reuse._Pdf(first[0])
    streams = {name: page_streams(pdf.data) for name, pdf in drawn.items()}
    same = [a == b for a, b in zip(streams["as composed"], streams["lower"], strict=True)]
    # The pages drawn (1, 4 and 5) are the same; blank page 2's note is not (nor page 3's: it counts the spacer).
    assert [same[i] for i in (0, 3, 4)] == [True, True, True]
    assert not same[1]
    assert reuse._changes(layout, drawn["as composed"]) is not None
    assert reuse._changes(layout, drawn["lower"]) is None


def test_copies_read_back_like_builds(prepared: dict[str, api.Prepared]) -> None:
    """Same text and pages, the same pixels at 100 dpi (pypdfium2), for a copy written from the template."""
    pdfium = pytest.importorskip("pypdfium2")
    p = prepared["large-print"]
    copy = reuse.render_copy(p, values(NAMES["Vietnamese"])).pdf
    build = api.render_prepared(p, values(NAMES["Vietnamese"])).pdf
    assert page_texts(copy) == page_texts(build)
    assert "Nguyễn Thị Thanh Hà, this booklet is for you." in page_texts(copy)[3]
    copy_doc, build_doc = pdfium.PdfDocument(copy), pdfium.PdfDocument(build)
    assert len(copy_doc) == len(build_doc) == 20
    for i in (0, 3, 4, 19):
        a = copy_doc[i].render(scale=100 / 72).to_pil()
        b = build_doc[i].render(scale=100 / 72).to_pil()
        assert a.tobytes() == b.tobytes(), f"page {i + 1}"


def test_copies_are_tagged_and_pass_page_validation(prepared: dict[str, api.Prepared]) -> None:
    page = pytest.importorskip("page", reason="page-validation is in the test extra: pip install '.[test]'")
    p = prepared["large-print"]
    assert reuse.template_for(p, reuse.Options(pdfua=True)) is not None
    copy = reuse.render_copy(p, values(NAMES["accents"]), pdfua=True).pdf
    assert copy == api.render_prepared(p, values(NAMES["accents"]), pdfua=True).pdf
    report = page.validate_pdf_bytes(copy, profile=page.ValidationProfile.PDF_UA_1)
    assert [f"{f.rule_id}: {f.message}" for f in report.failures] == []
    with pikepdf.open(io.BytesIO(copy)) as doc:
        assert "/StructTreeRoot" in doc.Root
        assert len(doc.Root.StructTreeRoot.ParentTree.Nums) > 0


def test_a_value_printed_elsewhere_gets_no_template(write_yaml) -> None:  # type: ignore[no-untyped-def]
    """A name in a heading is in the bookmarks and the contents too: copies are rendered in full."""
    path = write_yaml("title: Your visit\nlanguage: en-GB\nsections:\n  - heading: For {{ patient_name }}\n"
                      "    body: [\"Dear {{ patient_name }}, please bring this letter.\"]\n"
                      + "".join(f"  - heading: Part {i}\n    body: [{'Some words. ' * 80}]\n" for i in range(6)))
    handout, clinic = api.load(path)
    p = api.prepare(handout, clinic, "large-print")
    with pytest.raises(reuse.NoTemplate):
        reuse.make_template(p)
    assert reuse.render_copy(p, {"patient_name": "Zoë"}).pdf == api.render_prepared(p, {"patient_name": "Zoë"}).pdf


def test_a_batch_writes_each_row_as_its_build(personal: Path, tmp_path: Path) -> None:
    """`booklet batch --data`: every copy is the same bytes as `booklet build --set` of its row, in two runs;
    the row with an empty name is refused (as before), the others are written."""
    data = tmp_path / "patients.csv"
    with open(data, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["patient_id", "patient_name"])
        writer.writerows([f"P{i}", name] for i, name in enumerate(NAMES.values()))
    runs = []
    for run in ("first", "second"):
        work = batch.plan([personal], variants=("large-print",), data=data, out=tmp_path / run,
                          name="{{ patient_id }}")
        result = batch.run(work, jobs=1)
        assert len(result.written) == 4
        assert len(result.failed) == 1
        assert "row 5 has no value in the column 'patient_name'" in (result.failed[0].error or "")
        runs.append({o.output.name: o.output.read_bytes() for o in result.written if o.output is not None})
    assert runs[0] == runs[1]
    for i, name in enumerate(list(NAMES.values())[:4]):
        build = api.build(personal, variant="large-print", values={"patient_id": f"P{i}", "patient_name": name})
        assert runs[0][f"P{i}.pdf"] == build.pdf, name


def _template_as_data(template: reuse.Template) -> tuple[Any, ...]:
    return ([(layout.whole.data, layout.first.data, layout.pages, layout.stop, layout.blank, layout.sections,
              layout.changeable, layout.base_fonts) for layout in template.layouts],
            template.kept, template.outcome, template.warnings)


def test_a_template_made_on_two_cores_is_the_same(prepared: dict[str, api.Prepared],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """reuse.make_template(two_cores=True) renders the second set of stand-ins in a forked child at the same
    time: the same template; and when the child fails, the parent does that work itself."""
    p = prepared["booklet"]  # laid out twice: two layouts
    one = _template_as_data(reuse.make_template(p))
    parent, rendered = os.getpid(), reuse._rendered
    here: list[str] = []  # what this process rendered with the second set of stand-ins

    def noted(*args: Any) -> Any:
        if os.getpid() == parent:
            here.append("rendered here")
        return rendered(*args)

    monkeypatch.setattr(reuse, "_rendered", noted)
    assert _template_as_data(reuse.make_template(p, two_cores=True)) == one
    assert here == []  # the child did

    def failing_in_the_child(*args: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return noted(*args)

    monkeypatch.setattr(reuse, "_rendered", failing_in_the_child)
    assert _template_as_data(reuse.make_template(p, two_cores=True)) == one
    assert here == ["rendered here"]


def test_a_local_batch_makes_the_template_before_its_workers(personal: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """On a pool of its own (forked workers), a batch makes the first job's template once, on two cores,
    before the workers start: none of them makes one, and every copy is its row's build."""
    calls = tmp_path / "templates made"
    make = reuse.make_template

    def noted(p: api.Prepared, options: reuse.Options | None = None, *, two_cores: bool = False) -> Any:
        with open(calls, "a", encoding="utf-8") as f:  # the workers' calls too (they run this, forked)
            f.write(f"{os.getpid()} {two_cores}\n")
        return make(p, options or reuse.Options(), two_cores=two_cores)

    monkeypatch.setattr(reuse, "make_template", noted)
    monkeypatch.setattr(batch, "_PREPARED", type(batch._PREPARED)())  # nothing prepared here before
    data = tmp_path / "patients.csv"
    with open(data, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["patient_id", "patient_name"])
        writer.writerows([f"P{i}", name] for i, name in enumerate(list(NAMES.values())[:4]))
    work = batch.plan([personal], variants=("large-print",), data=data, out=tmp_path / "out", name="{{ patient_id }}")
    result = batch.run(work, jobs=2)
    assert len(result.written) == 4
    assert calls.read_text(encoding="utf-8").splitlines() == [f"{os.getpid()} True"]
    for i, name in enumerate(list(NAMES.values())[:4]):
        build = api.build(personal, variant="large-print", values={"patient_id": f"P{i}", "patient_name": name})
        assert (tmp_path / "out" / f"P{i}.pdf").read_bytes() == build.pdf, name


def test_batch_pdfua_copies_are_their_builds_and_pass_pdfua(personal: Path, tmp_path: Path) -> None:
    """`booklet batch --data --pdfua`: each copy (written from the template) is `booklet build --pdfua --set`
    of its row, claims PDF/UA-1 and passes page-validation's PDF/UA-1 profile (veraPDF when it is here)."""
    data = tmp_path / "patients.csv"
    data.write_text("patient_id,patient_name\nP1,Zoë O'Brien\nP2,Łucja Dvořák\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(personal), "--data", str(data), "--pdfua", "--out",
                                       str(tmp_path / "out"), "--name", "{{ patient_id }}", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    copies = sorted((tmp_path / "out").glob("*.pdf"))
    assert [p.name for p in copies] == ["P1.pdf", "P2.pdf"]
    for path, name in zip(copies, ("Zoë O'Brien", "Łucja Dvořák"), strict=True):
        build = api.build(personal, pdfua=True, values={"patient_id": path.stem, "patient_name": name})
        assert path.read_bytes() == build.pdf
        with pikepdf.open(path) as doc:
            assert "pdfuaid" in bytes(doc.Root.Metadata.read_bytes()).decode("utf-8")
    assert_pdfua(copies)
    if VERAPDF is not None:
        assert_verapdf_ua1(copies)


def test_a_copy_is_freed_without_a_garbage_collection(prepared: dict[str, api.Prepared]) -> None:
    """A copy's layout stops after its first pages (render.Stopped): its objects are still freed as it ends, not
    left to a collection that walks them all first (test_floor checks the same of whole builds)."""
    p = prepared["booklet"]
    reuse.render_copy(p, values(NAMES["accents"]))  # the template, fonts, memos: what stays
    gc.collect()
    gc.disable()
    try:
        reuse.render_copy(p, values(NAMES["other accents"]))
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 50  # the canvas class made per layout (a class refers to itself): 7 objects each
