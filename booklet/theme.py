"""Turns layout data (layouts/*.yaml, merged overlay by overlay) and a clinic into a Theme."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import Problem
from .model import Clinic, Handout

#: WCAG 2.x AA contrast for normal-size text.
MIN_TEXT_CONTRAST = 4.5
_UNITS = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0}
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class TypeScale:
    body: float
    floor: float
    leading: float
    title: float
    subtitle: float
    h1: float
    h2: float
    small: float
    min: float

    def size(self, name: str) -> float:
        """A size never smaller than the layout's minimum glyph size."""
        return max(float(getattr(self, name)), self.min)


@dataclass(frozen=True)
class Palette:
    """Colours as #RRGGBB. `*_text` colours reach MIN_TEXT_CONTRAST on white."""

    text: str
    muted: str
    rule: str
    primary: str
    accent: str
    primary_text: str
    primary_tint: str
    on_primary: str
    callouts: dict[str, tuple[str, str, str]]  # kind -> (text colour, tint, symbol)


T = TypeVar("T")


@dataclass(frozen=True)
class Direction:
    """Which way the pages read, and so which side of a page each thing goes on.

    The composers name sides by where a line of text starts and ends, and lay rows of things out
    in reading order; a right-to-left page mirrors all of it: text aligned right, bullets and step
    numbers on the right, a box's coloured bar and the key points' rule on the right, a table's
    first column at the right, the page number and the logo on the left, the summary's columns from
    the right, and a booklet bound on the right (`booklet.impose` reads that from the PDF).
    """

    rtl: bool = False

    @property
    def name(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def start(self) -> str:
        """The side a line of text starts at: "left" or "right"."""
        return "right" if self.rtl else "left"

    @property
    def end(self) -> str:
        return "left" if self.rtl else "right"

    def ordered(self, things: Sequence[T]) -> list[T]:
        """Things in reading order, as they are laid out from the left of the page."""
        return list(reversed(things)) if self.rtl else list(things)

    def x(self, offset: float, width: float, space: float) -> float:
        """The left edge of a thing `width` wide that stands `offset` from the start side of a space
        `space` wide (measured from that space's left edge)."""
        return space - offset - width if self.rtl else offset


#: The direction of most pages.
LEFT_TO_RIGHT = Direction()

#: Languages written right to left (BCP 47 primary language subtags; a handout whose text is mostly in a
#: right-to-left script reads right to left whatever its tag says): Arabic, Sorani Kurdish, Dhivehi,
#: Persian, Hebrew, Kashmiri, Pashto, Sindhi, Uyghur, Urdu, Yiddish.
RIGHT_TO_LEFT = frozenset({"ar", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"})
#: Script subtags that make a tag right to left whatever its language (pa-Arab: Shahmukhi Punjabi).
RIGHT_TO_LEFT_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo"})


def reads_right_to_left(language: str, texts: Iterable[str] = ()) -> bool:
    """Whether a handout's pages read right to left: its language is written so (`RIGHT_TO_LEFT`), or
    most of its letters are in a right-to-left script (`booklet.scripts`)."""
    subtags = language.strip().replace("_", "-").lower().split("-")
    if subtags[0] in RIGHT_TO_LEFT or any(t in RIGHT_TO_LEFT_SCRIPTS for t in subtags[1:]):
        return True
    from .scripts import in_no_script, script_of

    rtl = ltr = 0
    later: list[str] = []  # texts in no script: no right-to-left letter, so they count only to outweigh some
    for text in texts:
        if in_no_script(text):
            later.append(text)
            continue
        for ch in text:
            if ch.isalpha():
                script = script_of(ch)
                if script is not None and script.rtl:
                    rtl += 1
                else:
                    ltr += 1
    if rtl > ltr:
        ltr += sum(ch.isalpha() for text in later for ch in text)
    return rtl > ltr


@dataclass(frozen=True)
class Theme:
    name: str
    page: tuple[float, float]
    margins: dict[str, float]
    type: TypeScale
    emphasis: str
    hyphenate: bool
    space: dict[str, float]
    checkbox: float
    note_gap: float
    writing_lines: int
    footer_rule: bool
    palette: Palette
    #: The smallest size text inside a picture may print at (points).
    figure_text: float
    words: dict[str, str]
    notices: tuple[str, ...] = field(default=())
    #: Which way the pages read (right to left: the whole layout mirrored).
    direction: Direction = LEFT_TO_RIGHT

    def word(self, key: str) -> str:
        return self.words.get(key, key)

    def with_body(self, body: float) -> Theme:
        """The same theme with another body size (for fitting a summary)."""
        from dataclasses import replace

        return replace(self, type=replace(self.type, body=body))


def length(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(mm|cm|in|pt)?\s*", str(value))
    if not match:
        raise ValueError(f"not a length: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "pt"]


@cache
def layouts_dir() -> Path:
    """The built-in layouts: the top-level `layouts/` folder, installed as `booklet.layouts`.

    A folder beside the package's modules, as its fonts are (`booklet.fonts.FONT_DIR`): `importlib.resources`
    would also find it inside a zip file, for 5 ms of imports a process."""
    try:
        from . import layouts  # type: ignore[attr-defined]
    except ImportError:  # imported from a source checkout rather than an install
        return Path(__file__).resolve().parent.parent / "layouts"
    return Path(layouts.__file__).parent


#: The built-in layouts as JSON, each with the SHA-256 of the YAML it was read from (`python -m booklet.theme`
#: writes it; tests/test_layout_words.py checks that it is up to date). PyYAML takes about 10 ms a process
#: to read layouts/strings.yaml, the JSON a twentieth of that; a layout whose YAML changed since is read
#: from the YAML.
PARSED_LAYOUTS = "parsed.json"


@cache
def _layout_file(name: str) -> dict[str, Any]:
    text = layouts_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    parsed = _parsed_layouts().get(name)
    if parsed is not None and parsed["sha256"] == _digest(text):
        return parsed["data"]  # type: ignore[no-any-return]
    return _read_layout(text)


def _read_layout(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_SafeLoader) or {}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _parsed_layouts() -> dict[str, Any]:
    try:
        return json.loads(layouts_dir().joinpath(PARSED_LAYOUTS).read_bytes())  # type: ignore[no-any-return]
    except (OSError, ValueError):  # none, or cut short: the YAML is read
        return {}


def write_parsed_layouts() -> Path:
    """Write layouts/parsed.json from the built-in layouts' YAML (run after editing one)."""
    from .output import write_atomic

    folder = layouts_dir()
    parsed = {}
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = _read_layout(text)
        if json.loads(json.dumps(data)) != data:
            raise ValueError(f"{path} has values JSON cannot keep (keys that are not text, dates)")
        parsed[path.stem] = {"sha256": _digest(text), "data": data}
    target = folder / PARSED_LAYOUTS
    write_atomic(target, (json.dumps(parsed, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                 fsync=False)
    return target


def merged(names: tuple[str, ...]) -> dict[str, Any]:
    """The first layout with each following overlay merged into it, key by key."""
    result: dict[str, Any] = {}
    for name in names:
        _merge(result, _layout_file(name))
    return result


def _merge(into: dict[str, Any], overlay: dict[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value if not isinstance(value, dict) else dict(value)


#: Tags whose layout words are another block's (lower case): Chinese by region (zh-TW is written in
#: traditional characters), Cantonese in traditional characters, and the Portuguese of Africa and Asia,
#: which follows Portugal's spelling (a plain `pt` is Brazilian Portuguese, as in CLDR).
_WORDS_ALIASES = {
    "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-my": "zh-Hans",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "yue": "zh-Hant", "zh-yue": "zh-Hant",
    **{f"pt-{region}": "pt-PT" for region in ("ao", "cv", "gq", "gw", "lu", "mo", "mz", "st", "tl")},
}


def words_language(language: str, layout_file: str = "strings") -> str | None:
    """The layouts/strings.yaml block (or another per-language layout file's) for a BCP 47 tag, None when there
    is none.

    The whole tag first, then shorter and shorter (zh-Hant-TW: zh-Hant-TW, zh-Hant, zh), each as itself
    or through _WORDS_ALIASES (zh-TW finds zh-Hant, zh zh-Hans, pt-AO pt-PT). Case does not matter."""
    keys = {key.lower(): key for key in _layout_file(layout_file)}
    subtags = language.strip().replace("_", "-").lower().split("-")
    for n in range(len(subtags), 0, -1):
        tag = "-".join(subtags[:n])
        for candidate in (tag, _WORDS_ALIASES.get(tag, "").lower()):
            if candidate in keys:
                return keys[candidate]
    return None


def words_for(language: str) -> dict[str, str]:
    """The words the layout prints itself in `language` (English for a language without them)."""
    strings = _layout_file("strings")
    words = dict(strings["en"])
    words.update(strings.get(words_language(language) or "en", {}))
    return words


def long_date(date: dt.date, language: str) -> str:
    """A date as the handout's language writes it in running text ("17 May 2026", "17. Mai 2026",
    "2026年5月17日"), from layouts/dates.yaml (CLDR's long date, Western digits); ISO 8601 for a language
    that has no entry there."""
    way = _layout_file("dates").get(words_language(language, "dates") or "")
    if way is None:
        return date.isoformat()
    return way["pattern"].format(day=date.day, day2=f"{date.day:02}", month=way["months"][date.month - 1],
                                 m=date.month, m2=f"{date.month:02}", year=date.year)


def words_warnings(handout: Handout) -> list[Problem]:
    """A warning when the handout's language has no layout words: they would print in English."""
    if words_language(handout.language) is not None:
        return []
    primary = handout.language.strip().split("-")[0].lower() or handout.language
    return [Problem(
        handout.field_locs.get("language", handout.loc),
        f"booklet has no layout words in '{handout.language}': the words the layout prints itself "
        "(Contents, At a glance, Key points, Page, Phone, Please turn over …) print in English",
        f"they can be added to layouts/strings.yaml in booklet: a '{primary}:' block with the words of its "
        "'en:' block translated (or ask booklet's maintainers for them)",
        severity="warning")]


@lru_cache(maxsize=64)
def build_theme(layouts: tuple[str, ...], paper: str, clinic_colors: tuple[str, str], language: str,
                rtl: bool = False) -> Theme:
    """A theme from layout names (base first, overlays after), paper, clinic colours and language;
    `rtl`: the pages read right to left (see `reads_right_to_left`)."""
    data = merged(layouts)
    width, height = (length(v) for v in data["pages"][paper])
    palette, notices = _palette(data["colors"], data["callouts"], *clinic_colors)
    return Theme(
        name="+".join(layouts),
        page=(width, height),
        margins={k: length(v) for k, v in data["margins"].items()},
        type=TypeScale(**{k: float(v) for k, v in data["type"].items()}),
        emphasis=data["emphasis"],
        hyphenate=bool(data["hyphenate"]),
        space={k: length(v) for k, v in data["space"].items()},
        checkbox=length(data["checkbox"]),
        note_gap=length(data["note_gap"]),
        writing_lines=int(data["writing_lines"]),
        footer_rule=bool(data["footer_rule"]),
        palette=palette,
        figure_text=length(data.get("figure_text", 0)),
        words=words_for(language),
        notices=notices,
        direction=Direction(rtl),
    )


def theme_for(layouts: tuple[str, ...], paper: str, clinic: Clinic, language: str, rtl: bool = False) -> Theme:
    return build_theme(layouts, paper, (clinic.colors.primary, clinic.colors.accent), language, rtl)


# -- colour --------------------------------------------------------------------
def _rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02X}" for c in rgb)


def luminance(hex_color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_shade(color: str, background: str = "#FFFFFF", target: float = MIN_TEXT_CONTRAST) -> str:
    """The colour itself if it reads on the background, else the lightest darker shade that does."""
    if contrast(color, background) >= target:
        return color
    r, g, b = _rgb(color)
    for step in range(1, 101):
        k = 1 - step / 100
        shade = _hex((r * k, g * k, b * k))
        if contrast(shade, background) >= target:
            return shade
    return "#000000"


def tint(color: str, amount: float) -> str:
    """The colour mixed with white: amount 0 is white, 1 the colour."""
    return _hex(tuple(1 - amount * (1 - c) for c in _rgb(color)))  # type: ignore[arg-type]


def _palette(base: dict[str, str], callouts: dict[str, dict[str, str]], primary: str,
             accent: str) -> tuple[Palette, tuple[str, ...]]:
    primary_tint = tint(primary, 0.12)
    # Headings and box titles are drawn in the primary colour, on white and on its own tint:
    # the shade must read on both. The accent colour is only ever decoration.
    primary_text = readable_shade(readable_shade(primary), primary_tint)
    notices = []
    if primary_text != primary:
        notices.append(
            f"the clinic's primary colour {primary} is too light for text "
            f"(contrast {contrast(primary, '#FFFFFF'):.1f}:1 on white, needs {MIN_TEXT_CONTRAST}:1); "
            f"text uses the darker shade {primary_text} and {primary} is kept for decoration"
        )
    on_primary = "#FFFFFF" if contrast("#FFFFFF", primary) >= MIN_TEXT_CONTRAST else base["text"]
    kinds = {}
    for kind, spec in callouts.items():
        color = readable_shade(spec["color"], tint(spec["color"], 0.1))
        kinds[kind] = (color, tint(spec["color"], 0.1), spec["symbol"])
    palette = Palette(
        text=base["text"], muted=base["muted"], rule=base["rule"],
        primary=primary, accent=accent,
        primary_text=primary_text,
        primary_tint=primary_tint,
        on_primary=on_primary, callouts=kinds,
    )
    return palette, tuple(notices)


if __name__ == "__main__":  # python -m booklet.theme: refresh layouts/parsed.json after editing a layout
    print(write_parsed_layouts())  # noqa: T201 - a developer's command
