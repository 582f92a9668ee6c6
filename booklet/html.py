"""Turns the handout model and a theme into one self-contained, accessible web page (HTML5; no ReportLab).

The web edition of what compose_booklet.py prints: the same model, the same theme (colours with the
same contrast rule, the layout's own words in the handout's language), and the same escaping rule:
every character an author typed is text; only the content format's `**bold**` and `*italic*` become
`<strong>` and `<em>`, and links are built here from the addresses found in the text (`https:`,
`mailto:`, `tel:` with digits only), never taken from anything the author wrote. The page loads
nothing: images are data URIs, the stylesheet is embedded, there is no script, and its
Content-Security-Policy forbids every request but images from data URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from . import __version__
from . import model as m
from . import text as tx
from .theme import MIN_TEXT_CONTRAST, Theme, contrast, long_date

#: Schemes a link may have. A QR block's URL is validated to one of these; anything else is never a link.
LINK_SCHEMES = ("https://", "http://", "mailto:", "tel:")
#: Everything but images from data URIs is refused, even if a browser were to find something to fetch.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
#: CSS pixels per point: 12 pt body text is 16 px, large print's 18 pt is 24 px.
PX_PER_PT = 4 / 3
#: Languages written from right to left (primary subtags), and scripts that are (`ku-Arab`).
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "nqo", "ps", "sd", "syr", "ug", "ur",
                           "yi"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"})
#: Sections needed before a contents list helps (as in the booklet).
CONTENTS_FROM = 3
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_FONTS = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Helvetica Neue", Arial, '
          "sans-serif")


def direction(language: str) -> str:
    """`rtl` for a BCP 47 tag written right to left (ar, he, fa, ur, ku-Arab ...), else `ltr`."""
    subtags = language.strip().replace("_", "-").lower().split("-")
    rtl = subtags[0] in RTL_LANGUAGES or any(s in RTL_SCRIPTS for s in subtags[1:])
    return "rtl" if rtl else "ltr"


# -- text --------------------------------------------------------------------------
def _text(text: str) -> str:
    """Plain text as HTML: escaped (quotes too), line breaks kept."""
    return escape(text, quote=True).replace("\n", "<br>\n")


def linked(text: str) -> str:
    """Plain text as HTML with each web address, e-mail address and phone number a link built from it."""
    return tx.rewrite_addresses(text, _address_link, _text)


def _address_link(address: str) -> str:
    target = tx.link_target(address)
    if not target.startswith(LINK_SCHEMES) or any(ch.isspace() or ord(ch) < 32 for ch in target):
        return _text(address)
    kind = "tel" if target.startswith("tel:") else "url"
    # dir="ltr" isolates it: in right-to-left text "0207 946 0123" would otherwise show as "0123 946 0207"
    return f'<a class="{kind}" dir="ltr" href="{escape(target, quote=True)}">{_text(address)}</a>'


def inline(text: str, values: dict[str, str]) -> str:
    """Author text as HTML: escaped, `**`/`*` as strong/em, placeholders filled as plain text, addresses
    linked (an address interrupted by a mark stays text, as in the PDF)."""
    out: list[str] = []
    for run, bold, italic in tx.runs(text, values):
        html = linked(run)
        if italic:
            html = f"<em>{html}</em>"
        if bold:
            html = f"<strong>{html}</strong>"
        out.append(html)
    return "".join(out)


def safe_url(url: str) -> str | None:
    """The URL when it may be a link (http(s), mailto, tel; no spaces or control characters), else None."""
    if url.lower().startswith(LINK_SCHEMES) and not any(ch.isspace() or ord(ch) < 32 for ch in url):
        return url
    return None


def format_date(date: dt.date | None, language: str) -> str:
    """As the booklet prints it (compose_booklet.format_date), in a `<time>` element."""
    if date is None:
        return ""
    shown = long_date(date, language)
    return f'<time datetime="{date.isoformat()}">{escape(shown)}</time>'


def data_uri(path: Path) -> str:
    """The image file as a data URI (SVG as data too: in an <img> it can run no script and load nothing)."""
    from .images import probe

    kind = probe(path).kind
    return f"data:{_MIME[kind]};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


# -- the page ----------------------------------------------------------------------
@dataclass
class Page:
    """One handout's web page being written."""

    handout: m.Handout
    clinic: m.Clinic
    theme: Theme
    values: dict[str, str]
    parts: list[str] = field(default_factory=list)
    _ids: int = 0

    def inline(self, text: str) -> str:
        return inline(text, self.values)

    def words(self, key: str) -> str:
        return escape(self.theme.word(key), quote=True)

    def new_id(self, stem: str) -> str:
        self._ids += 1
        return f"{stem}-{self._ids}"

    def items(self, items: tuple[str, ...], tag: str = "ul", cls: str = "") -> str:
        attr = f' class="{cls}"' if cls else ""
        return f"<{tag}{attr}>\n" + "".join(f"<li>{self.inline(i)}</li>\n" for i in items) + f"</{tag}>"

    # -- blocks ------------------------------------------------------------------
    def block(self, block: m.Block) -> str:
        return _BUILDERS[type(block)](self, block)

    def paragraph(self, b: m.Paragraph) -> str:
        return f"<p>{self.inline(b.text)}</p>"

    def bullets(self, b: m.Bullets) -> str:
        return self.items(b.items)

    def steps(self, b: m.Steps) -> str:
        return self.items(b.items, "ol", "steps")

    def callout(self, b: m.Callout) -> str:
        _, _, symbol = self.theme.palette.callouts[b.kind]
        label = f'<span class="label"><span aria-hidden="true">{escape(symbol)}</span> {self.words(b.kind)}</span>'
        title = f' <span class="title">{self.inline(b.title)}</span>' if b.title else ""
        body = [f"<h3>{label}{title}</h3>"]
        if b.text:
            body.append(f"<p>{self.inline(b.text)}</p>")
        if b.bullets:
            body.append(self.items(b.bullets))
        return f'<section class="box callout callout-{b.kind}">\n' + "\n".join(body) + "\n</section>"

    def key_points(self, points: tuple[str, ...]) -> str:
        return (f'<section class="box key-points">\n<h3>{self.words("key_points")}</h3>\n'
                f"{self.items(points)}\n</section>")

    def table(self, b: m.Table) -> str:
        head = "".join(f'<th scope="col">{self.inline(c)}</th>' for c in b.columns)
        rows = "".join("<tr>" + "".join(f"<td>{self.inline(c)}</td>" for c in row) + "</tr>\n" for row in b.rows)
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>"

    def image(self, b: m.Image) -> str:
        caption = f"\n<figcaption>{self.inline(b.caption)}</figcaption>" if b.caption else ""
        return (f'<figure style="--width: {b.width * 100:.4g}%">\n'
                f'<img src="{data_uri(b.path)}" alt="{escape(b.alt, quote=True)}">{caption}\n</figure>')

    def questions(self, b: m.Questions) -> str:
        return self.items(b.items, "ul", "questions")

    def notes(self, b: m.Notes) -> str:
        # Ruled space to write on: only on paper (a screen has nothing to read there).
        return f'<div class="notes" style="--lines: {int(b.lines)}" aria-hidden="true"></div>'

    def glossary(self, b: m.Glossary) -> str:
        entries = "".join(f"<div><dt>{self.inline(term)}</dt><dd>{self.inline(meaning)}</dd></div>\n"
                          for term, meaning in b.entries)
        return f'<dl class="glossary">\n{entries}</dl>'

    def qr(self, b: m.Qr) -> str:
        """The QR block as a plain link: the caption leads to the address, printed under it."""
        url = tx.fill_plain(b.url, self.values)
        target = safe_url(url)
        text = self.inline(b.caption) if b.caption else _text(url)
        shown = f'<br>\n<span class="url">{_text(url)}</span>' if b.caption else ""
        if target is None:  # never a link: validation refuses such a URL, and this is the second lock
            return f'<p class="qr">{text}{shown}</p>'
        return f'<p class="qr"><a href="{escape(target, quote=True)}">{text}</a>{shown}</p>'

    def page_break(self, b: m.PageBreak) -> str:
        return ""

    # -- parts of the page -------------------------------------------------------------
    def cover(self) -> str:
        h, cl = self.handout, self.clinic
        brand = []
        if cl.logo is not None:
            brand.append(f'<img class="logo" src="{data_uri(cl.logo)}" alt="{escape(cl.logo_alt, quote=True)}">')
        if cl.name:
            brand.append(f'<p class="clinic-name">{linked(cl.name)}</p>')
        top = f'<div class="brand">{"".join(brand)}</div>\n' if brand else ""
        subtitle = f'\n<p class="subtitle">{self.inline(h.subtitle)}</p>' if h.subtitle else ""
        title = f"<hgroup>\n<h1>{self.inline(h.title)}</h1>{subtitle}\n</hgroup>" if subtitle else \
            f"<h1>{self.inline(h.title)}</h1>"
        audience = f'\n<div class="band"><p class="wrap">{self.inline(h.audience)}</p></div>' if h.audience else \
            '\n<div class="band" aria-hidden="true"></div>'
        return f'<header class="cover">\n<div class="wrap">\n{top}{title}\n</div>{audience}\n</header>'

    def contents(self) -> str:
        if len(self.handout.sections) < CONTENTS_FROM:
            return ""
        entries = "".join(f'<li><a href="#s{n}">{self.inline(s.heading)}</a></li>\n'
                          for n, s in enumerate(self.handout.sections, 1))
        return (f'<nav class="contents" aria-labelledby="contents">\n<h2 id="contents">{self.words("contents")}</h2>'
                f"\n<ol>\n{entries}</ol>\n</nav>")

    def at_a_glance(self) -> str:
        if not self.handout.summary:
            return ""
        return (f'<section class="glance" aria-labelledby="glance">\n<h2 id="glance">{self.words("at_a_glance")}'
                f"</h2>\n{self.items(self.handout.summary)}\n</section>")

    def section(self, number: int, section: m.Section) -> str:
        body = [f'<h2 id="s{number}-title">{self.inline(section.heading)}</h2>']
        if section.key_points:
            body.append(self.key_points(section.key_points))
        body += [html for html in (self.block(b) for b in section.body) if html]
        return f'<section id="s{number}" aria-labelledby="s{number}-title">\n' + "\n".join(body) + "\n</section>"

    def contact(self) -> str:
        cl = self.clinic
        if not cl.name:
            return ""
        lines = [f'<p class="clinic-name">{linked(cl.name)}</p>']
        if cl.address:
            lines.append(f"<p>{linked(cl.address)}</p>")
        facts = [(key, value) for key, value in (("phone", cl.phone), ("email", cl.email), ("website", cl.website),
                                                 ("hours", cl.hours)) if value]
        if facts:
            lines.append('<dl class="facts">\n' + "".join(
                f"<div><dt>{self.words(key)}</dt><dd>{linked(value)}</dd></div>\n" for key, value in facts) + "</dl>")
        out = [f'<h2 id="contact">{self.words("contact")}</h2>', "<address>\n" + "\n".join(lines) + "\n</address>"]
        if cl.urgent:
            _, _, symbol = self.theme.palette.callouts["urgent"]
            out.append(f'<section class="box callout callout-urgent">\n<h3><span class="label"><span aria-hidden='
                       f'"true">{escape(symbol)}</span> {self.words("urgent_help")}</span></h3>\n'
                       f"<p>{linked(cl.urgent)}</p>\n</section>")
        return '<section class="contact" aria-labelledby="contact">\n' + "\n".join(out) + "\n</section>"

    def sources(self) -> str:
        if not self.handout.sources:
            return ""
        return (f'<section class="sources" aria-labelledby="sources">\n<h2 id="sources">{self.words("sources")}'
                f"</h2>\n{self.items(self.handout.sources)}\n</section>")

    def footer(self) -> str:
        h, cl = self.handout, self.clinic
        facts = [("reference", _text(tx.plain(h.reference, self.values))),
                 ("version", _text(tx.plain(h.version, self.values))),
                 ("published", format_date(h.published, h.language)),
                 ("review_by", format_date(h.review_by, h.language)),
                 ("authors", ", ".join(self.inline(a) for a in h.authors))]
        shown = "".join(f"<div><dt>{self.words(key)}</dt><dd>{value}</dd></div>\n" for key, value in facts if value)
        out = [f'<dl class="facts">\n{shown}</dl>'] if shown else []
        if cl.alternative_formats:
            out.append(f'<p class="box formats">{linked(cl.alternative_formats)}</p>')
        if not out:
            return ""
        return '<footer class="back">\n<div class="wrap">\n' + "\n".join(out) + "\n</div>\n</footer>"

    def document(self, large_print: bool) -> str:
        h = self.handout
        title = tx.plain(h.title, self.values)
        if self.clinic.name:
            title += f" \u2013 {self.clinic.name}"  # an en dash
        main = [self.contents(), self.at_a_glance(),
                *(self.section(n, s) for n, s in enumerate(h.sections, 1)), self.contact(), self.sources()]
        description = tx.plain(h.subtitle, self.values)
        meta_description = f'\n<meta name="description" content="{escape(description, quote=True)}">' \
            if description else ""
        language = escape(h.language.strip() or "en", quote=True)
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{language}" dir="{direction(h.language)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title, quote=True)}</title>{meta_description}\n"
            f'<meta name="generator" content="booklet {escape(__version__)}">\n'
            f"<style>\n{stylesheet(self.theme, large_print)}</style>\n</head>\n<body>\n"
            f"{self.cover()}\n"
            '<main class="wrap">\n' + "\n".join(part for part in main if part) + "\n</main>\n"
            f"{self.footer()}\n</body>\n</html>\n"
        )


#: Block kind -> its builder (each takes its own kind of block).
_BUILDERS: dict[type, Callable[[Page, Any], str]] = {
    m.Paragraph: Page.paragraph,
    m.Bullets: Page.bullets,
    m.Steps: Page.steps,
    m.Callout: Page.callout,
    m.Table: Page.table,
    m.Image: Page.image,
    m.Questions: Page.questions,
    m.Notes: Page.notes,
    m.Glossary: Page.glossary,
    m.Qr: Page.qr,
    m.PageBreak: Page.page_break,
}


def compose_html(handout: m.Handout, clinic: m.Clinic, theme: Theme, values: dict[str, str],
                 large_print: bool = False) -> str:
    """The handout as one self-contained HTML5 page."""
    return Page(handout, clinic, theme, values).document(large_print)


# -- the stylesheet -------------------------------------------------------------------
def _color(value: str, fallback: str) -> str:
    """A palette colour as CSS (#RRGGBB; anything else, which validation never lets through, is the fallback)."""
    return value if _HEX.fullmatch(value) else fallback


def on_color(background: str, text: str) -> str:
    """`text` when it reads on `background` (WCAG AA), else black or white, whichever reads better."""
    if contrast(text, background) >= MIN_TEXT_CONTRAST:
        return text
    return max(("#000000", "#FFFFFF"), key=lambda c: contrast(c, background))


def stylesheet(theme: Theme, large_print: bool) -> str:
    """The page's CSS from the theme: sizes from its type scale (points as CSS pixels at 4/3), colours from its
    palette (text colours already meet the contrast rule on white and on their tints)."""
    p, t = theme.palette, theme.type

    def rem(name: str) -> str:
        return f"{max(float(getattr(t, name)), t.min) / t.body:.3f}rem"

    primary = _color(p.primary, "#1F5F8B")
    callouts = "".join(
        f".callout-{kind} {{ --c: {_color(color, '#1A1A1A')}; --bg: {_color(tint, '#FFFFFF')}; }}\n"
        for kind, (color, tint, _) in p.callouts.items())
    emphasis = "em { font-style: normal; font-weight: bold; }\n" if theme.emphasis == "bold" else ""
    return f"""\
:root {{
  --text: {_color(p.text, '#1A1A1A')}; --muted: {_color(p.muted, '#4A4A4A')}; --rule: {_color(p.rule, '#B8B8B8')};
  --primary: {primary}; --primary-text: {_color(p.primary_text, '#1A1A1A')};
  --tint: {_color(p.primary_tint, '#FFFFFF')}; --on-primary: {on_color(primary, _color(p.on_primary, '#FFFFFF'))};
  --accent: {_color(p.accent, primary)};
}}
*, *::before, *::after {{ box-sizing: border-box; }}
html {{ font-size: {t.body * PX_PER_PT:.4g}px; -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }}
body {{ margin: 0; color: var(--text); background: #FFFFFF; font-family: {_FONTS}; line-height: {t.leading};
  overflow-wrap: break-word; }}
.wrap {{ max-width: 40rem; margin: 0 auto; padding: 0 1rem; }}
main {{ padding-bottom: 1.5rem; }}
{emphasis}h1, h2, h3 {{ line-height: 1.2; }}
h1 {{ font-size: {rem('title')}; color: var(--primary-text); margin: 0.6rem 0 0.4rem; }}
h2 {{ font-size: {rem('h1')}; color: var(--primary-text); margin: 2rem 0 0.8rem; padding-bottom: 0.2rem;
  border-bottom: 0.15rem solid var(--primary); }}
h3 {{ font-size: {rem('h2')}; margin: 0 0 0.5rem; color: var(--primary-text); }}
p, ul, ol, dl, table, figure {{ margin: 0 0 0.75rem; }}
ul, ol {{ padding-inline-start: 1.5rem; }}
li {{ margin-bottom: 0.3rem; }}
a {{ color: var(--primary-text); text-decoration-thickness: 0.08em; text-underline-offset: 0.15em; }}
a.url {{ overflow-wrap: anywhere; }}
a.tel {{ white-space: nowrap; }}
a:focus-visible {{ outline: 0.2rem solid var(--primary-text); outline-offset: 0.15rem; }}
.cover {{ margin-bottom: 1rem; }}
.cover .wrap {{ padding-top: 1rem; }}
.brand {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin-bottom: 1.5rem; }}
.logo {{ display: block; max-height: 4.5rem; max-width: min(100%, 16rem); width: auto; height: auto; }}
.clinic-name {{ font-weight: bold; margin: 0; }}
.brand .clinic-name {{ color: var(--primary-text); }}
hgroup {{ margin: 0 0 1rem; }}
.subtitle {{ font-size: {rem('subtitle')}; margin: 0; }}
.band {{ background: var(--primary); color: var(--on-primary); padding: 1rem 0; min-height: 1rem;
  border-bottom: 0.3rem solid var(--accent); }}
.band p {{ margin-top: 0; margin-bottom: 0; font-size: {rem('subtitle')}; }}
.band a {{ color: inherit; }}
.contents ol {{ padding-inline-start: 1.5rem; }}
.contents li {{ margin: 0; padding: 0.25rem 0; }}
.box {{ border-inline-start: 0.35rem solid var(--c, var(--primary)); background: var(--bg, var(--tint));
  padding: 0.75rem 1rem; margin: 0 0 1rem; border-radius: 0.2rem; }}
.box > :last-child {{ margin-bottom: 0; }}
.callout h3, .callout a {{ color: var(--c); }}
.callout .label {{ display: block; font-size: 1rem; }}
{callouts}.key-points h3 {{ color: var(--primary-text); }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: start; vertical-align: top; overflow-wrap: anywhere; padding: 0.4rem 0.5rem;
  border-bottom: 1px solid var(--rule); }}
th {{ background: var(--tint); border-bottom: 0.12rem solid var(--primary); }}
figure {{ margin-inline: 0; }}
figure img {{ display: block; width: var(--width, 100%); min-width: min(100%, 16rem); max-width: 100%;
  height: auto; }}
figcaption {{ font-size: max({rem('small')}, 0.875rem); color: var(--muted); margin-top: 0.3rem; }}
.questions {{ list-style: none; padding-inline-start: 0; }}
.questions li {{ position: relative; padding-inline-start: 1.7rem; margin-bottom: 0.6rem; }}
.questions li::before {{ content: ""; position: absolute; inset-inline-start: 0; top: 0.2em; width: 1em;
  height: 1em; border: 0.12rem solid var(--primary-text); border-radius: 0.1rem; }}
.notes {{ display: none; }}
.glossary dt {{ font-weight: bold; }}
.glossary dd {{ margin: 0 0 0.6rem; padding-inline-start: 1rem; }}
.qr .url {{ overflow-wrap: anywhere; }}
address {{ font-style: normal; }}
.facts div {{ display: grid; grid-template-columns: minmax(6rem, max-content) 1fr; gap: 0 1rem;
  margin-bottom: 0.2rem; }}
.facts dt {{ font-weight: bold; }}
.facts dd {{ margin: 0; overflow-wrap: anywhere; }}
.back {{ border-top: 0.15rem solid var(--primary); padding: 1rem 0 2rem; font-size: max({rem('small')}, 0.875rem); }}
.back .formats {{ font-size: 1rem; }}
@media (max-width: 30rem) {{
  figure img {{ width: 100%; }}
  .facts div {{ grid-template-columns: 1fr; }}
  .facts dd {{ margin-bottom: 0.4rem; }}
}}
@media print {{
  @page {{ margin: 15mm; }}
  html {{ font-size: {t.body:.4g}pt; }}
  .wrap {{ max-width: none; padding: 0; }}
  .band {{ padding: 0.5rem; }}
  .cover, .band, .box, th {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
  h2, h3 {{ break-after: avoid; }}
  .box, figure, tr, .glossary div {{ break-inside: avoid; }}
  section[id^="s"] > h2 {{ break-before: auto; }}
  .notes {{ display: block; height: calc(var(--lines) * 2.2em); margin-bottom: 1rem;
    background: repeating-linear-gradient(to bottom, transparent 0, transparent calc(2.2em - 1px),
      var(--rule) calc(2.2em - 1px), var(--rule) 2.2em); }}
  .contents {{ display: none; }}
  a {{ color: inherit; }}
}}
"""
