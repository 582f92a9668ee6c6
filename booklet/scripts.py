"""Writing systems, as data: which ones booklet sets correctly, and why the others are refused.

ReportLab lays text out as a run of glyphs from left to right, one per character. That is right
for Latin, Greek, Cyrillic and other alphabets whose letters stand alone. Scripts whose letters
join or reorder (Arabic, the Indic scripts), that run right to left (Arabic, Hebrew) or that break
lines between characters rather than at spaces (Chinese, Japanese, Thai) come out wrong that way,
even when the font has every glyph: unjoined letters in the wrong order. The shaping stage
(`booklet.shaping`) sets the scripts marked "shaped" (Arabic, Hebrew, Devanagari, Bengali, Gurmukhi, Gujarati,
Tamil; Chinese, Japanese and Korean, whose fonts are the optional extra `booklet.cjk`); other such text is
refused, with the line and the script named, until the stage sets it too (issue: every community language).
So is Chinese, Japanese or Korean text when the extra is not installed, with the command that installs it.

Adding a script is a row in SCRIPTS: its Unicode blocks and what booklet does with it. A script the
shaping stage (`booklet.shaping`) can set also names its OpenType script tag, its direction and its
fonts (regular and bold, TrueType files in `booklet/fonts`, or a face of the cjk extra), and whether
its lines break only at spaces or between characters too (BREAK_RULES): that is all the stage needs
to know of it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .errors import Loc, Problems


@dataclass(frozen=True)
class Script:
    name: str
    #: "set": drawn correctly as it is; "shaped": set by the shaping stage (`booklet.shaping`);
    #: "refused": booklet cannot set it correctly yet.
    support: str
    #: What goes wrong, in a nurse's words (for refused scripts).
    why: str = ""
    #: For the shaping stage: the ISO 15924 / OpenType script tag HarfBuzz shapes with ("" = not shaped).
    tag: str = ""
    #: Written right to left.
    rtl: bool = False
    #: The script's fonts: (regular, bold) file names in booklet/fonts, both static TrueType with the same cmap.
    fonts: tuple[str, str] | None = None
    #: "words": lines break at spaces; "chars": also between characters (Chinese, Japanese), by the
    #: rules in BREAK_RULES (booklet.shaping's line breaker).
    breaks: str = "words"
    #: Fonts from the optional Chinese, Japanese and Korean extra (`booklet.cjk`) instead of `fonts`: the
    #: face this script takes when the handout's language does not choose one (booklet.cjk.LANGUAGE_FACES).
    cjk_face: str = ""

    @property
    def shaped(self) -> bool:
        """The shaping stage can set this script (whether or not the composers use it yet: see `support`)."""
        return self.fonts is not None or bool(self.cjk_face)


_RTL = "its letters must be joined and run from right to left"
_SHAPED = "its letters must be shaped and reordered"
_BREAKS = "its lines break between characters, not at spaces"


def _noto(family: str) -> tuple[str, str]:
    return f"{family}-Regular.ttf", f"{family}-Bold.ttf"


HEBREW = Script("Hebrew", "shaped", "its letters must run from right to left", "Hebr", True, _noto("NotoSansHebrew"))
#: Arabic, Persian and Urdu (in Naskh style: Noto Naskh Arabic has the Persian and Urdu letters).
ARABIC = Script("Arabic", "shaped", _RTL, "Arab", True, _noto("NotoNaskhArabic"))
DEVANAGARI = Script("Devanagari", "shaped", _SHAPED, "Deva", False, _noto("NotoSansDevanagari"))
BENGALI = Script("Bengali", "shaped", _SHAPED, "Beng", False, _noto("NotoSansBengali"))
GURMUKHI = Script("Gurmukhi", "shaped", _SHAPED, "Guru", False, _noto("NotoSansGurmukhi"))
GUJARATI = Script("Gujarati", "shaped", _SHAPED, "Gujr", False, _noto("NotoSansGujarati"))
TAMIL = Script("Tamil", "shaped", _SHAPED, "Taml", False, _noto("NotoSansTamil"))
_HANGUL = "it needs a Korean font and Korean line breaking"
HAN = Script("Chinese (Han)", "shaped", _BREAKS, "Hani", breaks="chars", cjk_face="SC")
KANA = Script("Japanese (kana)", "shaped", _BREAKS, "", breaks="chars", cjk_face="JP")
BOPOMOFO = Script("Chinese (Bopomofo)", "shaped", _BREAKS, "Bopo", breaks="chars", cjk_face="TC")
#: Ideographic punctuation and full-width forms: shared by Chinese, Japanese and Korean (HarfBuzz takes the
#: script of their neighbours).
CJK_SYMBOLS = Script("Chinese, Japanese or Korean", "shaped", _BREAKS, "", breaks="chars", cjk_face="SC")
#: Korean breaks lines at spaces, as Latin does (between syllables only in a word longer than a line).
HANGUL = Script("Korean (Hangul)", "shaped", _HANGUL, "Hang", cjk_face="KR")

#: Line breaking between characters (scripts with breaks="chars"), as data: no line may start with a
#: character of NO_START (closing punctuation, and small kana and the prolonged sound mark, by Japanese
#: kinsoku shori), nor end with one of NO_END (opening punctuation). Between two characters of scripts
#: that break at spaces (a Latin word, a number) there is never a break.
BREAK_RULES = {
    "no_start": frozenset(
        "、。，．）」』】〉》〕］｝〗〙〛〞〟｠！？：；・‐゠〜～ー々〻ゝゞヽヾ"  # noqa: RUF001 - the rule is these marks
        "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ｡､･ｰ"
        ",.!?:;)]}%\u2019\u201d\u00a0"),
    "no_end": frozenset("（「『【〈《〔［｛〖〘〚〝｟｢([{\u2018\u201c"),  # noqa: RUF001
}

#: (first code point, last code point, script). Ranges may not overlap.
SCRIPTS: tuple[tuple[int, int, Script], ...] = (
    (0x0590, 0x05FF, HEBREW),
    (0x0600, 0x06FF, ARABIC),
    (0x0700, 0x074F, Script("Syriac", "refused", _RTL)),
    (0x0750, 0x077F, ARABIC),
    (0x0780, 0x07BF, Script("Thaana", "refused", _RTL)),
    (0x07C0, 0x07FF, Script("N'Ko", "refused", _RTL)),
    (0x0800, 0x08FF, ARABIC),
    (0x0900, 0x097F, DEVANAGARI),
    (0x0980, 0x09FF, BENGALI),
    (0x0A00, 0x0A7F, GURMUKHI),
    (0x0A80, 0x0AFF, GUJARATI),
    (0x0B00, 0x0B7F, Script("Odia", "refused", _SHAPED)),
    (0x0B80, 0x0BFF, TAMIL),
    (0x0C00, 0x0C7F, Script("Telugu", "refused", _SHAPED)),
    (0x0C80, 0x0CFF, Script("Kannada", "refused", _SHAPED)),
    (0x0D00, 0x0D7F, Script("Malayalam", "refused", _SHAPED)),
    (0x0D80, 0x0DFF, Script("Sinhala", "refused", _SHAPED)),
    (0x0E00, 0x0E7F, Script("Thai", "refused", _BREAKS)),
    (0x0E80, 0x0EFF, Script("Lao", "refused", _BREAKS)),
    (0x0F00, 0x0FFF, Script("Tibetan", "refused", _SHAPED)),
    (0x1000, 0x109F, Script("Myanmar", "refused", _SHAPED)),
    (0x1100, 0x11FF, HANGUL),
    (0x1780, 0x17FF, Script("Khmer", "refused", _SHAPED)),
    (0x1800, 0x18AF, Script("Mongolian", "refused", _SHAPED)),
    (0x2E80, 0x2FDF, HAN),
    (0x3000, 0x303F, CJK_SYMBOLS),
    (0x3040, 0x30FF, KANA),
    (0x3100, 0x312F, BOPOMOFO),
    (0x3130, 0x318F, HANGUL),
    (0x3190, 0x319F, HAN),
    (0x31A0, 0x31BF, BOPOMOFO),
    (0x31C0, 0x31EF, HAN),
    (0x31F0, 0x31FF, KANA),
    (0x3200, 0x33FF, CJK_SYMBOLS),
    (0x3400, 0x4DBF, HAN),
    (0x4E00, 0x9FFF, HAN),
    (0xA840, 0xA87F, Script("Phags-pa", "refused", _SHAPED)),
    (0xA8E0, 0xA8FF, DEVANAGARI),
    (0xA980, 0xA9DF, Script("Javanese", "refused", _SHAPED)),
    (0xAC00, 0xD7AF, HANGUL),
    (0xF900, 0xFAFF, HAN),
    (0xFB1D, 0xFB4F, HEBREW),
    (0xFB50, 0xFDFF, ARABIC),
    (0xFE70, 0xFEFF, ARABIC),
    (0xFF00, 0xFFEF, CJK_SYMBOLS),
)

_STARTS = [start for start, _, _ in SCRIPTS]
#: The first character of the first script: everything before it (Latin, Greek, Cyrillic) is in none.
_FIRST = chr(_STARTS[0])
#: Zero-width no-break space (byte order mark) in the Arabic Presentation Forms-B block: not a script.
_NOT_SCRIPT = frozenset({0xFEFF})


def in_no_script(text: str) -> bool:
    """Whether no character of the text is in a script of SCRIPTS because all come before the first one (most
    Latin, Greek and Cyrillic text): decided without looking at each character. False: some may be."""
    return text.isascii() or max(text) < _FIRST


@lru_cache(maxsize=4096)
def script_of(ch: str) -> Script | None:
    """The script a character belongs to, when booklet knows it needs special handling (else None)."""
    cp = ord(ch)
    if cp < 0x0590 or cp in _NOT_SCRIPT:
        return None
    i = bisect.bisect_right(_STARTS, cp) - 1
    if i >= 0:
        start, end, script = SCRIPTS[i]
        if start <= cp <= end:
            return script
    return None


def needs_shaping(text: str) -> bool:
    """Does the text contain a script the shaping stage sets (decided from the script table)? (Here, not in
    booklet.shaping, so that deciding costs Latin text no import.)"""
    if in_no_script(text):
        return False
    return any(s is not None and s.shaped for s in map(script_of, set(text)))


def refused_scripts(text: str) -> Iterator[tuple[Script, str]]:
    """Each refused script in the text once, with the first character found in it."""
    if in_no_script(text):
        return
    seen: set[str] = set()
    for ch in dict.fromkeys(text):
        script = script_of(ch)
        if script is not None and script.support == "refused" and script.name not in seen:
            seen.add(script.name)
            yield script, ch


def missing_fonts(text: str) -> Iterator[tuple[Script, str]]:
    """Each script in the text whose fonts are an extra that is not installed (`booklet.cjk`), once."""
    if in_no_script(text) or not any(s is not None and s.cjk_face for s in map(script_of, set(text))):
        return
    from .cjk import installed

    if installed():
        return
    seen: set[str] = set()
    for ch in dict.fromkeys(text):
        script = script_of(ch)
        if script is not None and script.cjk_face and script.name not in seen:
            seen.add(script.name)
            yield script, ch


def check_scripts(texts: Iterable[tuple[str, Loc]]) -> None:
    """Text in a script booklet cannot set correctly is an error at its line, naming the script:
    never a silently wrong leaflet (unjoined letters, the wrong order), even where the font has the glyphs.
    So is text in a script whose fonts are an optional extra that is not installed (Chinese, Japanese, Korean)."""
    problems = Problems()
    for text, loc in texts:
        for script, ch in missing_fonts(text):
            from .cjk import INSTALL

            problems.add(loc, f"this text is in the {script.name} script ('{ch}', U+{ord(ch):04X}), and the fonts "
                         "booklet prints Chinese, Japanese and Korean with are not installed",
                         f"they are an optional part of booklet (about 30 MB): install them once with: {INSTALL}")
        for script, ch in refused_scripts(text):
            problems.add(loc, f"this text is in the {script.name} script ('{ch}', U+{ord(ch):04X}), which booklet "
                         f"cannot yet print correctly: {script.why}",
                         "booklet prints the Latin, Greek and Cyrillic scripts today (English, Spanish, Polish, "
                         "Vietnamese, Russian, Greek and many more), the Arabic, Hebrew, Devanagari, Bengali, "
                         "Gurmukhi, Gujarati and Tamil scripts, and Chinese, Japanese and Korean; until it supports "
                         "this script, have this translation typeset by another tool rather than print it wrongly")
    problems.raise_if_any()
