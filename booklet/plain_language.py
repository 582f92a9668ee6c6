"""Turns handout text into plain-language measures: reading level, sentence length, unexplained jargon.

Reading level uses textstat. English text gets the SMOG grade (McLaughlin 1969,
the formula most recommended for health information because it is calibrated
for full understanding) with the Flesch-Kincaid grade beside it. Spanish text
gets the Szigriszt-Pazos perspicuity read on the INFLESZ scale (Barrio-Cantalejo
et al. 2008, made for Spanish patient information). No other language gets a
number: the formulas are calibrated for their own language and would mislead.

Nothing here knows about files or findings; `booklet.check` turns the measures
into findings with lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from . import model as m
from . import text as tx

#: Sentences longer than this are hard to follow (Plain English Campaign, NHS content style guide: 15-20 on average, 25 at most).
MAX_SENTENCE_WORDS = 25
#: A paragraph longer than this reads as a wall of text on an A5 page (about 12 lines at 12 pt).
MAX_PARAGRAPH_WORDS = 120
#: Fewer sentences than this give a grade that swings by several points with one word: such sections
#: are not graded alone (the whole handout still is).
MIN_GRADED_SENTENCES = 5
#: INFLESZ: 55 and above reads as "normal" or easier, the level advised for Spanish patient information.
MIN_INFLESZ = 55.0
INFLESZ_BANDS = ((80, "muy fácil (very easy)"), (65, "bastante fácil (quite easy)"), (55, "normal"),
                 (40, "algo difícil (somewhat difficult)"), (float("-inf"), "muy difícil (very difficult)"))
#: Scripts where spaces do not separate words (or separate syllables, as in Vietnamese): word counts mean nothing.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "vi", "bo"})

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
#: A sentence ends at . ! or ? followed by a space and a capital, a digit or an opening quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-ÖØ-Þ¿¡])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|Dr|Mr|Mrs|Ms|St|approx|vs|no)\.\Z", re.IGNORECASE)


# -- text as it is read ---------------------------------------------------------------
def reader_text(text: str) -> str:
    """The text without emphasis marks, a placeholder read as its name (`{{ first_name }}` -> "first name")."""
    named = {name: name.replace("_", " ") for name in re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}", text)}
    return tx.plain(text, named)


def prose(block: m.Block) -> Iterator[str]:
    """The running text of a block that a reading-level formula should see.

    Tables (labels and fragments), glossaries (definitions of hard words, by design),
    alt text, links and writing space are left out.
    """
    if isinstance(block, m.Paragraph):
        yield block.text
    elif isinstance(block, (m.Bullets, m.Steps, m.Questions)):
        yield from block.items
    elif isinstance(block, m.Callout):
        yield from filter(None, (block.title, block.text, *block.bullets))
    elif isinstance(block, (m.Image, m.Qr)) and block.caption:
        yield block.caption


def section_prose(section: m.Section) -> list[str]:
    out = list(section.key_points)
    for block in section.body:
        out.extend(prose(block))
    return out


def sentences(text: str) -> list[str]:
    """The sentences of one text, split at . ! ? before a capital (not after e.g., Dr. and the like)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text[start:match.start()]):
            continue
        parts.append(text[start:match.start()].strip())
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def as_passage(items: Iterable[str]) -> str:
    """Items joined into one passage, each ending as a sentence (a bullet is read as one)."""
    out = []
    for item in items:
        item = reader_text(item).strip()
        if item:
            out.append(item if item[-1] in ".!?:;" else item + ".")
    return " ".join(out)


@dataclass(frozen=True)
class LongText:
    words: int
    start: str  # the first words, to find it by


def long_sentences(text: str, language: str, limit: int = MAX_SENTENCE_WORDS) -> list[LongText]:
    if base_language(language) in UNSPACED_LANGUAGES:
        return []
    out = []
    for sentence in sentences(reader_text(text)):
        n = word_count(sentence)
        if n > limit:
            out.append(LongText(n, opening(sentence)))
    return out


def long_paragraph(text: str, language: str, limit: int = MAX_PARAGRAPH_WORDS) -> LongText | None:
    if base_language(language) in UNSPACED_LANGUAGES:
        return None
    plain = reader_text(text)
    n = word_count(plain)
    return LongText(n, opening(plain)) if n > limit else None


def opening(text: str, words: int = 6) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def base_language(language: str) -> str:
    return language.split("-")[0].lower()


# -- reading level ------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    """A reading level. `too_hard` compares it with the limit for its own scale."""

    formula: str  # "smog" or "inflesz"
    value: float  # SMOG grade, or Szigriszt-Pazos score (0-100, higher is easier)
    sentences: int
    flesch_kincaid: float | None = None
    hard_words: tuple[str, ...] = ()

    def too_hard(self, max_grade: float) -> bool:
        if self.formula == "smog":
            return self.value > max_grade
        return self.value < MIN_INFLESZ

    def describe(self) -> str:
        if self.formula == "smog":
            return f"grade {self.value:.1f} (SMOG; Flesch-Kincaid {self.flesch_kincaid:.1f})"
        return f"{self.value:.0f} on the INFLESZ scale, '{inflesz_band(self.value)}' (Szigriszt-Pazos)"


def inflesz_band(score: float) -> str:
    return next(name for low, name in INFLESZ_BANDS if score >= low)


def measured(language: str) -> bool:
    """Whether booklet has a reading-level formula for this language."""
    return base_language(language) in ("en", "es")


def reading_level(items: Iterable[str], language: str) -> Level | None:
    """The reading level of the items read as one passage; None when there is no text or no formula."""
    base = base_language(language)
    if base not in ("en", "es"):
        return None
    passage = as_passage(items)
    if not passage:
        return None
    import textstat

    # textstat keeps its language globally; set it for every call.
    textstat.set_lang("en_US" if base == "en" else "es")
    count = textstat.sentence_count(passage)
    if base == "en":
        return Level("smog", float(textstat.smog_index(passage)), count,
                     float(textstat.flesch_kincaid_grade(passage)), hard_words(passage))
    return Level("inflesz", float(textstat.szigriszt_pazos(passage)), count)


def hard_words(passage: str, most: int = 5) -> tuple[str, ...]:
    """The most used words of three or more syllables (those raise the SMOG grade), most used first."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for index, word in enumerate(_LETTER_WORD.findall(passage)):
        key = word.lower()
        counts[key] += 1
        first.setdefault(key, index)
    poly = [w for w in counts if _syllables(w) >= 3]
    poly.sort(key=lambda w: (-counts[w], first[w]))
    return tuple(poly[:most])


@lru_cache(maxsize=4096)
def _syllables(word: str) -> int:
    """English syllables (only called after reading_level has set textstat to English)."""
    import textstat

    return int(textstat.syllable_count(word))


# -- jargon ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Jargon:
    """A list of medical words: one concept per entry, each with its forms."""

    concepts: tuple[tuple[str, ...], ...]
    pattern: re.Pattern[str]

    def find(self, text: str) -> Iterator[tuple[int, str]]:
        """(concept index, the words as written) for every use in `text`."""
        for match in self.pattern.finditer(text):
            assert match.lastgroup is not None
            yield int(match.lastgroup[1:]), match.group(0)

    def headword(self, concept: int) -> str:
        return self.concepts[concept][0]


@lru_cache(maxsize=8)
def jargon_for(language: str) -> Jargon | None:
    """The packaged list `data/jargon-<language>.txt`, or None when there is none for the language."""
    name = f"jargon-{base_language(language)}.txt"
    source = resources.files("booklet").joinpath("data", name)
    if not source.is_file():
        return None
    return parse_jargon(source.read_text(encoding="utf-8"))


def parse_jargon(text: str) -> Jargon:
    concepts = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            concepts.append(tuple(" ".join(form.split()) for form in line.split("|") if form.strip()))
    groups = []
    for i, forms in enumerate(concepts):
        # Longer forms first, so "peripheral neuropathy" wins over "neuropathy".
        alternatives = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(forms, key=len, reverse=True))
        groups.append(f"(?P<c{i}>(?:{alternatives})(?:e?s)?)")
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(groups) + r")(?![^\W_])", re.IGNORECASE)
    return Jargon(tuple(concepts), pattern)


def defined_concepts(handout: m.Handout, jargon: Jargon) -> set[int]:
    """Concepts that a glossary block explains: an entry whose term holds any form of the word."""
    defined: set[int] = set()
    for section in handout.sections:
        for block in section.body:
            if isinstance(block, m.Glossary):
                for term, _ in block.entries:
                    defined.update(concept for concept, _ in jargon.find(reader_text(term)))
    return defined
