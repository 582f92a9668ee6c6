"""The web edition (booklet/html.py, `booklet html`): semantic, self-contained, literal, and accessible in a browser.

The browser tests open each page in headless Chromium (Debian's, at /usr/bin/chromium: `.ci/run` installs it)
through Playwright, record every request the page makes, and run axe-core (the copy bundled by the
axe-playwright-python package) with the WCAG 2.0/2.1/2.2 A and AA rules and the best-practice rules.
Without Chromium or Playwright they are skipped, saying so.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import html5lib
import pytest
from conftest import invoke_cli

from booklet import api
from booklet import text as tx
from booklet.errors import BookletError
from booklet.html import direction, inline
from booklet.validate import clinic_for_language, clinic_texts, handout_texts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "content" / "metastatic-breast-cancer.yaml"
RIVERSIDE = ROOT / "content" / "clinics" / "riverside" / "clinic.yaml"
SUNNY = ROOT / "content" / "clinics" / "sunny" / "clinic.yaml"
PRINT = ROOT / "tests" / "data" / "print"
MULTILINGUAL = PRINT / "clinic" / "clinic-multilingual.yaml"
HTML_NS = "{http://www.w3.org/1999/xhtml}"
#: Where a link may lead: built by booklet from an address it found, or a section of the page itself.
LINK = re.compile(r"(https?://|mailto:|tel:\+?[0-9]+$|#)")

#: (name, content, clinic, large print): the example, large print with a pale clinic, two other languages.
PAGES = [
    ("example", EXAMPLE, RIVERSIDE, False),
    ("example-large-print-sunny", EXAMPLE, SUNNY, True),
    ("spanish", PRINT / "cataract-surgery.es.yaml", MULTILINGUAL, False),
    ("russian", PRINT / "warfarin.ru.yaml", MULTILINGUAL, False),
    ("russian-large-print", PRINT / "warfarin.ru.yaml", MULTILINGUAL, True),  # long words in a table at 24 px
    ("greek-large-print", PRINT / "heart-failure.el.yaml", MULTILINGUAL, True),
    # Right to left: the browser shapes and orders Arabic itself (the PDF edition still refuses it).
    ("arabic", Path(__file__).parent / "data" / "html" / "blood-pressure.ar.yaml", RIVERSIDE, False),
]


def parse(page: str):  # type: ignore[no-untyped-def]
    """The page as an html5lib tree; a parse error (misnested, unclosed, stray markup) fails the test."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


def squash(text: str) -> str:
    return " ".join(text.split())


def readable(tree) -> str:  # type: ignore[no-untyped-def]
    """What a reader gets from the page: its text and the images' alt texts."""
    body = tree.find("body")
    alts = " ".join(el.get("alt", "") for el in body.iter("img"))
    return squash("".join(body.itertext()) + " " + alts)


def make(content: Path, clinic: Path | None, large_print: bool = False, **kw) -> str:  # type: ignore[no-untyped-def]
    return api.html(content, clinic=clinic, large_print=large_print, today=dt.date(2026, 6, 1), **kw).html


# -- the markup -----------------------------------------------------------------------
@pytest.mark.parametrize(("name", "content", "clinic", "large"), PAGES, ids=[p[0] for p in PAGES])
def test_every_text_of_the_handout_and_clinic_is_on_the_page(name: str, content: Path, clinic: Path,
                                                             large: bool) -> None:
    page = make(content, clinic, large)
    tree = parse(page)
    shown = readable(tree)
    handout, clinic_model = api.load(content, clinic)
    printed, _ = clinic_for_language(clinic_model, handout.language)
    texts = [t for t, _ in handout_texts(handout)] + [t for t, _ in clinic_texts(printed, translations=False)]
    missing = [t for t in texts if t and squash(tx.plain(t)) not in shown]
    assert missing == []
    theme_words = {"contact", "key_points"} if handout.sections[0].key_points else {"contact"}
    words = api.theme_for(("booklet",), "a4", clinic_model, handout.language).words
    assert all(words[w] in shown for w in theme_words)


def test_the_example_page_is_semantic_html() -> None:
    tree = parse(make(EXAMPLE, RIVERSIDE))
    root = tree
    assert (root.get("lang"), root.get("dir")) == ("en", "ltr")
    body = root.find("body")
    assert [h.text for h in body.iter("h1")] == ["Metastatic breast cancer"]
    assert root.findtext("head/title") == "Metastatic breast cancer \u2013 Riverside Breast Care Unit"
    # Landmarks: the cover is the banner, the handout is main, the governance facts the footer.
    assert [el.tag for el in body] == ["header", "main", "footer"]
    main = body.find("main")
    sections = main.findall("section")
    headings = ["".join(s.find("h2").itertext()) for s in sections]
    assert headings[:2] == ["At a glance", "What is metastatic breast cancer?"]
    assert headings[-2:] == ["Contact us", "Where this information comes from"]
    assert [s.get("aria-labelledby") == s.find("h2").get("id") for s in sections] == [True] * len(sections)
    contents = main.find("nav")
    assert [a.get("href") for a in contents.iter("a")] == [f"#s{n}" for n in range(1, 9)]
    assert all(main.find(f".//section[@id='s{n}']") is not None for n in range(1, 9))
    # Key points and callouts are sections headed h3, each callout with its label (the symbol hidden).
    boxes = [el for el in main.iter("section") if "box" in el.get("class", "")]
    assert [squash("".join(b.find("h3").itertext())) for b in boxes][:3] == [
        "Key points", "Key points", "\u2713 Tip Bring someone with you"]
    assert all(b.find("h3/span/span").get("aria-hidden") == "true" for b in boxes if "callout" in b.get("class"))
    table = main.find(".//table")
    assert [(th.get("scope"), th.text) for th in table.iter("th")] == [("col", "Treatment"), ("col", "How it works")]
    assert len(table.findall("tbody/tr")) == 3
    figure = main.find(".//figure")
    assert figure.find("img").get("alt").startswith("Outline of a body seen from the front.")
    assert figure.find("img").get("src").startswith("data:image/svg+xml;base64,")
    assert figure.findtext("figcaption") == "Places where breast cancer most often spreads"
    glossary = main.find(".//dl[@class='glossary']")
    assert [d.findtext("dt") for d in glossary][:2] == ["Biopsy", "CDK4/6 inhibitor"]
    assert len(main.find(".//ul[@class='questions']")) == 5
    assert main.find(".//ol[@class='steps']") is not None
    # The QR block is a plain link, its caption leading to the address printed under it.
    qr = main.find(".//p[@class='qr']")
    assert qr.find("a").get("href") == "https://riverside.example/breastcare/video"
    assert qr.find("a").text.startswith("Watch our short film")
    address = main.find(".//address")
    hrefs = [a.get("href") for a in address.iter("a")]
    assert hrefs == ["tel:01234567890", "mailto:breastcare@riverside.example", "https://riverside.example/breastcare"]
    logo = body.find("header").find(".//img")
    assert (logo.get("alt"), logo.get("src")[:26]) == ("Riverside Breast Care Unit logo", "data:image/svg+xml;base64,")
    assert [s.text for s in body.iter("strong")][:2] == ["metastases", "metastatic"]
    assert body.find("footer").find(".//time").get("datetime") == "2026-05-17"


def test_the_page_loads_nothing_and_runs_nothing() -> None:
    page = make(EXAMPLE, RIVERSIDE)
    tree = parse(page)
    assert [el.tag for el in tree.iter() if el.tag in ("script", "link", "iframe", "object", "embed", "base")] == []
    for el in tree.iter():
        assert not [a for a in el.attrib if a.lower().startswith("on")], el.tag
        if el.get("src") is not None:
            assert el.get("src").startswith(("data:image/png;", "data:image/svg+xml;", "data:image/jpeg;"))
    assert all(LINK.match(a.get("href")) for a in tree.iter("a"))
    css = tree.findtext("head/style")
    assert "url(" not in css
    assert "@import" not in css
    assert "@media print" in css
    csp = tree.find("head/meta[@http-equiv='Content-Security-Policy']").get("content")
    assert csp.startswith("default-src 'none'; img-src data:;")


def test_large_print_is_24px_body_text_and_no_italics() -> None:
    standard = parse(make(EXAMPLE, RIVERSIDE)).findtext("head/style")
    large = parse(make(EXAMPLE, RIVERSIDE, True)).findtext("head/style")
    assert "html { font-size: 16px;" in standard
    assert "html { font-size: 24px;" in large
    assert "em { font-style: normal; font-weight: bold; }" in large
    assert "font-style: normal; font-weight: bold" not in standard


def test_a_pale_clinic_colour_is_darkened_for_text_as_in_the_pdf() -> None:
    result = api.html(EXAMPLE, clinic=SUNNY)
    css = parse(result.html).findtext("head/style")
    assert "--primary: #F2D94E; --primary-text: #807329;" in css
    assert len(result.notices) == 1
    assert "too light for text" in result.notices[0]


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "ltr"), ("ar", "rtl"), ("he-IL", "rtl"), ("fa", "rtl"), ("ku-Arab", "rtl"), ("ur", "rtl"), ("pl", "ltr"),
    ("zh-Hant", "ltr")])
def test_direction_follows_the_language(language: str, expected: str) -> None:
    assert direction(language) == expected


def test_a_right_to_left_handout_is_a_right_to_left_page(tmp_path: Path) -> None:
    source = tmp_path / "ar.yaml"
    source.write_text("title: ما هو السكري؟\nlanguage: ar\nsections:\n  - heading: مقدمة\n    key_points: [نقطة]\n"
                      "    body: ['نص **مهم** هنا']\n", encoding="utf-8")
    tree = parse(make(source, None))
    assert (tree.get("lang"), tree.get("dir")) == ("ar", "rtl")
    assert tree.find("body").find(".//strong").text == "مهم"


# -- author text is text ------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("**bold** and *italic*", "<strong>bold</strong> and <em>italic</em>"),
    ("<b>not</b> & <script>x</script>", "&lt;b&gt;not&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"),
    ('say "hi" it\'s', "say &quot;hi&quot; it&#x27;s"),
    ("2 * 3 and ***", "2 * 3 and ***"),
    ("Call 01234 567 890", 'Call <a class="tel" dir="ltr" href="tel:01234567890">01234 567 890</a>'),
    ("see www.nhs.uk.", 'see <a class="url" dir="ltr" href="https://www.nhs.uk">www.nhs.uk</a>.'),
    ("mail a@b.example", 'mail <a class="url" dir="ltr" href="mailto:a@b.example">a@b.example</a>'),
    ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("one\ntwo", "one<br>\ntwo"),
    ("{{ v }}", "**&lt;i&gt;**"),
])
def test_inline_text(text: str, expected: str) -> None:
    assert inline(text, {"v": "**<i>**"}) == expected


#: Markup, script and URLs that a browser would act on, if any of it were ever taken as markup.
HOSTILE = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a> '
           "javascript:alert(4) ' \" </style><style>body{display:none}</style> <!-- &amp; &lt; ]]>")


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def field_text(name: str) -> str:
    """What the field `name` holds: its name and HOSTILE (cut to 40 characters for the reference, a short code)."""
    return f"R{HOSTILE}"[:40] if name == "reference" else f"F{name} {HOSTILE}"


def hostile_files(folder: Path) -> tuple[Path, Path]:
    """A handout and a clinic profile with HOSTILE in every text field, each field's text tagged F<name>."""
    from PIL import Image

    (folder / "images").mkdir()
    Image.new("RGB", (30, 20), "#3366AA").save(folder / "images" / "pic.png")
    t = {name: q(field_text(name)) for name in (
        "title", "subtitle", "audience", "reference", "version", "author", "source", "summary", "heading", "keypoint",
        "paragraph", "bullet", "step", "column", "cell", "callouttitle", "callouttext", "calloutbullet", "term",
        "definition", "question", "caption", "alt", "qrcaption", "name", "address", "phone", "email", "website",
        "hours", "urgent", "formats", "logoalt")}
    handout = folder / "handout.yaml"
    handout.write_text(f"""\
title: {t['title']}
subtitle: {t['subtitle']}
audience: {t['audience']}
reference: {t['reference']}
version: {t['version']}
authors: [{t['author']}]
sources: [{t['source']}]
summary: [{t['summary']}]
sections:
  - heading: {t['heading']}
    key_points: [{t['keypoint']}]
    body:
      - {t['paragraph']}
      - "Fset {{{{ v }}}}"
      - bullets: [{t['bullet']}]
      - steps: [{t['step']}]
      - table: {{columns: [{t['column']}, Plain], rows: [[{t['cell']}, x]]}}
      - callout: {{kind: urgent, title: {t['callouttitle']}, text: {t['callouttext']}, bullets: [{t['calloutbullet']}]}}
      - glossary: {{{t['term']}: {t['definition']}}}
      - questions: [{t['question']}]
      - image: {{src: images/pic.png, alt: {t['alt']}, caption: {t['caption']}}}
      - qr: {{url: "https://example.org/\\"><script>alert(5)</script>", caption: {t['qrcaption']}}}
  - heading: Two
    body: [x]
  - heading: Three
    body: [y]
""", encoding="utf-8")
    (folder / "logo.png").write_bytes((folder / "images" / "pic.png").read_bytes())
    clinic = folder / "clinic.yaml"
    clinic.write_text("\n".join(f"{key}: {t[name]}" for key, name in (
        ("name", "name"), ("address", "address"), ("phone", "phone"), ("email", "email"), ("website", "website"),
        ("hours", "hours"), ("urgent", "urgent"), ("alternative_formats", "formats"), ("logo_alt", "logoalt")))
        + "\nlogo: logo.png\n", encoding="utf-8")
    return handout, clinic


def test_hostile_text_in_every_field_prints_literally(tmp_path: Path) -> None:
    handout, clinic = hostile_files(tmp_path)
    out = tmp_path / "hostile.html"
    code, stdout, stderr = invoke_cli("html", handout, "--clinic", clinic, "--set", f"v={HOSTILE}", "-o", out)
    assert (code, stdout, "Traceback" in stderr) == (0, "", False), stderr
    page = out.read_text(encoding="utf-8")
    tree = parse(page)
    assert [el.tag for el in tree.iter() if el.tag in ("script", "iframe", "object", "embed", "link", "base")] == []
    assert len(list(tree.iter("style"))) == 1
    for el in tree.iter():
        assert not [a for a in el.attrib if a.lower().startswith("on")], el.tag
    hrefs = [a.get("href") for a in tree.iter("a")]
    assert all(LINK.match(h) for h in hrefs)
    assert not any("javascript" in h.lower() for h in hrefs)
    assert 'https://example.org/"><script>alert(5)</script>' in hrefs  # one attribute value, escaped
    assert [el.get("src")[:15] for el in tree.iter("img")] == ["data:image/png;"] * 2
    shown = readable(tree)
    for name in ("title", "subtitle", "audience", "reference", "version", "author", "source", "summary", "heading",
                 "keypoint", "paragraph", "bullet", "step", "column", "cell", "callouttitle", "callouttext",
                 "calloutbullet", "term", "definition", "question", "caption", "alt", "qrcaption", "name", "address",
                 "phone", "email", "website", "hours", "urgent", "formats", "logoalt"):
        assert squash(field_text(name)) in shown, name
    assert squash(f"Fset {HOSTILE}") in shown
    assert tree.findtext("head/title").startswith(f"Ftitle {HOSTILE}")


def test_a_javascript_qr_address_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "h.yaml"
    source.write_text('title: T\nsections:\n  - heading: H\n    body:\n      - qr: {url: "javascript:alert(1)"}\n',
                      encoding="utf-8")
    with pytest.raises(BookletError, match="is not a web address"):
        api.html(source)


# -- the command and the batch --------------------------------------------------------------
def test_the_command_writes_stem_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, stderr = invoke_cli("html", EXAMPLE, "--clinic", RIVERSIDE, "--large-print")
    assert code == 0, stderr
    assert stderr == "wrote metastatic-breast-cancer-large-print.html\n"
    assert (tmp_path / "metastatic-breast-cancer-large-print.html").read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">")
    code, _, stderr = invoke_cli("html", EXAMPLE, "--no-clinic", "-q")
    assert (code, stderr) == (0, "")
    assert (tmp_path / "metastatic-breast-cancer.html").exists()


def test_a_missing_placeholder_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "h.yaml"
    source.write_text("title: T\nsections:\n  - heading: H\n    body: ['Hello {{ name }}']\n", encoding="utf-8")
    code, _, stderr = invoke_cli("html", source, "--no-clinic", "-o", tmp_path / "h.html")
    assert code == 2
    assert "the placeholder {{ name }} has no value" in stderr
    assert not (tmp_path / "h.html").exists()


def test_batch_writes_web_pages_beside_pdfs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = invoke_cli("batch", EXAMPLE, PRINT / "warfarin.ru.yaml", "--clinic", MULTILINGUAL,
                                 "--variant", "html", "--variant", "large-print-html", "--variant", "summary",
                                 "--out", out, "--jobs", "1", "-q")
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "metastatic-breast-cancer-large-print.html", "metastatic-breast-cancer-summary.pdf",
        "metastatic-breast-cancer.html", "warfarin.ru-large-print.html", "warfarin.ru-summary.pdf", "warfarin.ru.html"]
    assert parse((out / "warfarin.ru.html").read_text(encoding="utf-8")).get("lang") == "ru"


# -- in a real browser ---------------------------------------------------------------------
def chromium() -> str | None:
    found = os.environ.get("BOOKLET_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found if found and Path(found).exists() else None


#: axe-core rule tags: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and Deque's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
#: Chromium without anything that phones home by itself (its own updates, sync, field trials).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    path = chromium()
    if path is None:
        pytest.skip("no Chromium to test the web pages in: install Debian's (apt-get install chromium; .ci/run "
                    "does) or set BOOKLET_CHROMIUM to a Chromium binary")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install '.[test]'")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-playwright-python (which bundles axe-core) is not installed: pip install '.[test]'")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def in_browser(browser, axe_source: str, page_file: Path, width: int) -> dict:  # type: ignore[no-untyped-def]
    """Open the page at `width` CSS pixels: the requests it made, axe-core's violations, how wide it is."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("networkidle")
    # Evaluated through DevTools, not as a page script: the page's own CSP (no script at all) stays in force.
    page.evaluate(axe_source)
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                     resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))""",
        AXE_TAGS)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    return {"requests": requests, "violations": violations, "scroll_width": scroll_width}


BROWSER_PAGES = [*PAGES, ("hostile", None, None, False)]


@pytest.mark.parametrize(("name", "content", "clinic", "large"), BROWSER_PAGES, ids=[p[0] for p in BROWSER_PAGES])
@pytest.mark.parametrize("width", [1280, 375])
def test_axe_core_finds_nothing_and_the_page_makes_no_request(browser, axe_source: str, tmp_path: Path, name: str,  # type: ignore[no-untyped-def]
                                                              content: Path | None, clinic: Path | None, large: bool,
                                                              width: int) -> None:
    values = {}
    if content is None:
        content, clinic = hostile_files(tmp_path)
        values = {"v": HOSTILE}
    page_file = tmp_path / f"{name}.html"
    page_file.write_text(make(content, clinic, large, values=values), encoding="utf-8")
    seen = in_browser(browser, axe_source, page_file, width)
    assert seen["violations"] == []
    assert seen["requests"] == [page_file.as_uri()]  # the file itself; images are data URIs, nothing else
    assert seen["scroll_width"] <= width  # nothing wider than a phone's screen


def test_axe_core_does_find_violations(browser, axe_source: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The harness can fail: an image without alt text and an empty link on an otherwise good page."""
    page = make(EXAMPLE, RIVERSIDE).replace(' alt="Outline of a body', ' data-x="').replace(
        '<p class="qr"><a href="https://riverside.example/breastcare/video">Watch our short film about living with '
        "breast cancer that has spread</a>", '<p class="qr"><a href="https://riverside.example/breastcare/video"></a>')
    page_file = tmp_path / "broken.html"
    page_file.write_text(page, encoding="utf-8")
    found = {v["id"] for v in in_browser(browser, axe_source, page_file, 1280)["violations"]}
    assert {"image-alt", "link-name"} <= found


def test_addresses_keep_their_order_in_right_to_left_text() -> None:
    """A phone number in Arabic is isolated left to right, so the browser shows 0207 946 0123, not 0123 946 0207."""
    tree = parse(make(Path(__file__).parent / "data" / "html" / "blood-pressure.ar.yaml", RIVERSIDE))
    links = [a for a in tree.iter("a") if (a.get("href") or "").startswith("tel:")]
    assert [(a.get("href"), a.get("dir"), a.text) for a in links if "946" in (a.text or "")] == [
        ("tel:02079460123", "ltr", "0207 946 0123")]

