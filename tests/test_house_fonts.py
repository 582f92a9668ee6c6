"""A clinic's house fonts win where they cover the text (issue #13, fonts per run): in a paragraph the shaping
stage sets, Latin words and digits are drawn in the house faces as the rest of the leaflet's Latin text is, and
a script whose letters the house faces have is drawn in them; what they lack comes from booklet's own fonts
(Noto for the script, DejaVu Sans for anything else). Checked from the PDF: which font draws which character."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pdfplumber
from conftest import DATA

from booklet import api
from booklet.fonts import FONT_DIR


def house(folder: Path) -> None:
    """House faces: DejaVu Sans under another name (another file, so booklet registers it as the clinic's own).
    It has Latin, Greek, Cyrillic and Hebrew letters, and no Devanagari."""
    (folder / "fonts").mkdir(parents=True)
    shutil.copy(FONT_DIR / "DejaVuSans.ttf", folder / "fonts" / "House-Regular.ttf")
    shutil.copy(FONT_DIR / "DejaVuSans-Bold.ttf", folder / "fonts" / "House-Bold.ttf")


def house_names(folder: Path) -> set[str]:
    """The house faces' base font names in the PDF: their PostScript names and their files' digests."""
    return {f"{ps}-{hashlib.sha1((folder / 'fonts' / f'House-{face}.ttf').read_bytes()).hexdigest()[:8]}"
            for face, ps in (("Regular", "DejaVuSans"), ("Bold", "DejaVuSans-Bold"))}


def clinic(folder: Path) -> Path:
    path = folder / "clinic.yaml"
    path.write_text("name: House Clinic\nphone: \"01234 567 890\"\n"
                    "fonts: {regular: fonts/House-Regular.ttf, bold: fonts/House-Bold.ttf}\n", encoding="utf-8")
    return path


def fonts_by_char(pdf: bytes, page: int) -> dict[str, set[str]]:
    import io

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        out: dict[str, set[str]] = {}
        for c in doc.pages[page].chars:
            out.setdefault(c["text"], set()).add(c["fontname"].split("+")[-1])
    return out


def test_latin_words_in_shaped_text_take_the_house_faces(tmp_path: Path) -> None:
    house(tmp_path)
    result = api.build(DATA / "indic" / "hi.yaml", clinic=clinic(tmp_path))
    used = fonts_by_char(result.pdf, 2)  # the first section: a paragraph with "MRI" and the phone number
    for latin in "MRI0123":  # "MRI" and the phone number, inside Devanagari paragraphs
        assert used[latin], latin
        assert used[latin] <= house_names(tmp_path), (latin, used[latin])
    assert used["क"] <= {"NotoSansDevanagari-Regular", "NotoSansDevanagari-Bold"}


def test_a_script_the_house_faces_cover_is_drawn_in_them(tmp_path: Path) -> None:
    """The house font has Hebrew letters: a Hebrew handout is drawn in it, not in Noto Sans Hebrew."""
    house(tmp_path)
    result = api.build(DATA / "rtl" / "he.yaml", clinic=clinic(tmp_path))
    used = fonts_by_char(result.pdf, 2)
    hebrew = {name for ch, names in used.items() if "\u05d0" <= ch <= "\u05ea" for name in names}
    assert hebrew, used
    assert hebrew <= house_names(tmp_path), hebrew
    plain = api.build(DATA / "rtl" / "he.yaml")
    assert {name for ch, names in fonts_by_char(plain.pdf, 2).items() if "\u05d0" <= ch <= "\u05ea"
            for name in names} <= {"NotoSansHebrew-Regular", "NotoSansHebrew-Bold"}


def test_two_house_fonts_with_one_postscript_name_keep_their_own_glyphs(tmp_path: Path) -> None:
    """ReportLab hands a font whose PostScript name it has seen the first such font's face: a clinic's new
    version of its font (or another clinic's font of the same name) in the same process (watch, batch) would be
    checked and drawn with the old one's glyphs and widths. Each house font keeps its own."""
    from fontTools import subset

    from booklet.fonts import font_set
    from booklet.model import FontFiles

    options = subset.Options()
    options.name_IDs = ["*"]  # the same names as DejaVu Sans, PostScript name included
    font = subset.load_font(str(FONT_DIR / "DejaVuSans.ttf"), options)
    cut = subset.Subsetter(options)
    cut.populate(unicodes=range(0x20, 0x7F))
    cut.subset(font)
    (tmp_path / "old").mkdir()
    font.save(str(tmp_path / "old" / "House.ttf"))
    house(tmp_path / "new")
    old = font_set(FontFiles(regular=tmp_path / "old" / "House.ttf", bold=tmp_path / "old" / "House.ttf"))
    new = font_set(FontFiles(regular=tmp_path / "new" / "fonts" / "House-Regular.ttf",
                             bold=tmp_path / "new" / "fonts" / "House-Bold.ttf"))
    assert not old.can_draw("\u0416")
    assert new.can_draw("\u0416")  # Cyrillic Zhe: in DejaVu Sans, not in the ASCII cut
