"""Reads local images safely and prepares them for the page at no more than 300 dpi."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import BookletError

#: Larger images are refused before decoding: a photo needs no more (and bombs need far more).
#: A JPEG is decoded straight at a fraction of its size (libjpeg scaling), so it may be big.
MAX_PIXELS = 40_000_000
#: A PNG is decoded whole, at 4 bytes a pixel (twice over for transparency): 16 megapixels keeps a build
#: under 200 MB.
MAX_PNG_PIXELS = 16_000_000
#: Print resolution: more than this is wasted bytes at the placed size.
TARGET_DPI = 300
MAX_SVG_BYTES = 2 * 1024 * 1024
#: A logo or diagram has tens to hundreds of elements; svglib needs about a second per few thousand.
MAX_SVG_ELEMENTS = 2_000
#: Groups nested deeper than this are no drawing (and would exhaust Python's recursion later).
MAX_SVG_DEPTH = 40


def _load_png_plugin() -> None:
    """Load Pillow's PNG plugin, and tell Pillow not to load its other common ones up front.

    Pillow loads its five common plugins (BMP, GIF, JPEG, PPM, PNG; the JPEG one imports `subprocess`) the first
    time an image is saved in a named format or read from memory, as a build does (`raster_for_print` saves a
    PNG, ReportLab reads it back). It loads them all anyway whenever a format it has not loaded is needed, and a
    file is opened through the plugin its extension names, so only that up-front loading is skipped (about 4 ms
    of CPU): a JPEG, a GIF or anything else is read, refused or written as before."""
    from PIL import Image, PngImagePlugin  # noqa: F401 - a handout's images are mostly PNGs

    if getattr(Image, "_initialized", None) == 0:  # Pillow's own flag (`Image.preinit` sets it to 1)
        Image._initialized = 1


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # "png", "jpeg" or "svg"
    width_px: int
    height_px: int


@lru_cache(maxsize=64)
def probe(path: Path) -> ImageInfo:
    """Size and kind of an image file, from its header only; BookletError if unusable."""
    if path.suffix.lower() == ".svg":
        drawing = load_svg(path)
        return ImageInfo("svg", int(drawing.width), int(drawing.height))
    from PIL import Image, UnidentifiedImageError

    _load_png_plugin()

    try:
        # Opening reads the header only; Pillow's own bomb check (a warning, or an error far
        # above MAX_PIXELS) fires here, before any pixel is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                fmt = (im.format or "").lower()
                width, height = im.size
    except Image.DecompressionBombError:  # so big that Pillow will not even say which kind it is
        kind = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
        limit = MAX_PIXELS if kind == "JPEG" else MAX_PNG_PIXELS
        raise BookletError.at(str(path), f"the image is over the limit of {limit // 1_000_000} megapixels for a {kind}",
                              "make it smaller; 2,000 pixels across is plenty for a booklet") from None
    except UnidentifiedImageError:
        raise BookletError.at(str(path), "the file is not a PNG or JPEG image",
                              "save the picture as PNG or JPEG and try again") from None
    except OSError as exc:
        raise BookletError.at(str(path), f"the image cannot be read ({exc})") from None
    if fmt not in ("png", "jpeg"):
        raise BookletError.at(str(path), f"the image is {fmt.upper() or 'of an unknown kind'}; use PNG, JPEG or SVG")
    limit = MAX_PIXELS if fmt == "jpeg" else MAX_PNG_PIXELS
    if width * height > limit:
        raise BookletError.at(str(path), f"the image is {width} x {height} pixels, over the limit of "
                              f"{limit // 1_000_000} megapixels for a {fmt.upper()}",
                              "make it smaller; 2,000 pixels across is plenty for a booklet")
    return ImageInfo(fmt, width, height)


@lru_cache(maxsize=64)
def raster_for_print(path: Path, width_pt: float, height_pt: float) -> tuple[bytes, int, int]:
    """Image bytes downsampled to TARGET_DPI at the placed size (never upscaled)."""
    from PIL import Image

    info = probe(path)  # (which loads Pillow's PNG plugin: _load_png_plugin)
    max_w = max(1, round(width_pt / 72 * TARGET_DPI))
    max_h = max(1, round(height_pt / 72 * TARGET_DPI))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as opened:
                im = opened
                shrink = info.width_px > max_w or info.height_px > max_h
                if shrink and info.kind == "jpeg":
                    im.draft(im.mode, (max_w, max_h))  # decode at 1/2, 1/4 or 1/8 size, never whole
                im.load()
                if im.mode not in ("RGB", "RGBA", "L", "LA"):
                    im = im.convert("L" if im.mode == "1" else
                                    "RGBA" if "transparency" in im.info or im.mode == "P" else "RGB")
                    opened.close()  # frees the decoded original: only one full-size copy at a time
                if shrink:
                    # A box average down to about the size first: Pillow's resize would make a
                    # premultiplied full-size copy of an RGBA image before reducing it.
                    factor = min(im.width // max_w, im.height // max_h)
                    if factor >= 2:
                        smaller = im.reduce(factor)
                        im.close()
                        im = smaller
                    im.thumbnail((max_w, max_h), Image.Resampling.LANCZOS)  # in place, no full-size copy
                if im.mode in ("RGBA", "LA"):
                    # Flatten onto white: paper is white, and it keeps the PDF simple.
                    background = Image.new("RGB", im.size, (255, 255, 255))
                    background.paste(im, mask=im.getchannel("A"))
                    im = background
                out = io.BytesIO()
                if info.kind == "jpeg":
                    im.save(out, "JPEG", quality=90, optimize=True)
                else:
                    # Only carries the pixels to ReportLab, which decodes and compresses them itself: the fastest
                    # compression (the PDF's bytes are the same whatever this one is).
                    im.save(out, "PNG", compress_level=1)
                return out.getvalue(), im.size[0], im.size[1]
        except (OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise BookletError.at(str(path), f"the image cannot be read ({exc})") from None


def _check_svg_size(path: Path) -> None:
    """Count elements and nesting with a fast, entity-free parse before svglib builds anything."""
    from lxml import etree

    depth = count = 0
    try:
        # recover=True as svglib parses: a slightly broken file it can draw is not refused here
        for event, _ in etree.iterparse(str(path), events=("start", "end"), resolve_entities=False,
                                        no_network=True, load_dtd=False, huge_tree=False, recover=True):
            if event == "end":
                depth -= 1
                continue
            depth += 1
            count += 1
            if depth > MAX_SVG_DEPTH:
                raise BookletError.at(str(path), f"the SVG nests groups more than {MAX_SVG_DEPTH} deep",
                                      "simplify the drawing (ungroup it) and save it again")
            if count > MAX_SVG_ELEMENTS:
                raise BookletError.at(str(path), f"the SVG has more than {MAX_SVG_ELEMENTS:,} elements",
                                      "simplify the drawing, or save it as a PNG")
    except etree.XMLSyntaxError as exc:
        raise BookletError.at(str(path), f"the SVG is not well-formed XML ({exc.msg})",
                              "open it in a drawing program and save it again as plain SVG") from None


@lru_cache(maxsize=1)
def _shipped_font_map():  # type: ignore[no-untyped-def]
    """An svglib font map that answers every font family with the shipped font.

    svglib's own map looks for a font file named after the SVG's font family on the
    system's font path and asks fontconfig (`fc-match`, a subprocess): it would
    register a system font under a name booklet uses ("DejaVuSans" from
    /usr/share/fonts replaced the shipped face, so the PDF depended on the machine),
    and an SVG could name any local font. The text is drawn in the handout's font
    anyway (compose sets it); measuring in the shipped face keeps anchored labels in place.
    """
    from svglib.fonts import FontMap

    from .fonts import font_set

    class ShippedFonts(FontMap):  # type: ignore[misc]
        def find_font(self, font_name: str, weight: str = "normal", style: str = "normal") -> tuple[str, bool]:
            fonts = font_set()
            return (fonts.regular if weight in ("normal", "400", "") else fonts.bold), True

    return ShippedFonts()


@lru_cache(maxsize=64)
def load_svg(path: Path):  # type: ignore[no-untyped-def]
    """An SVG as a ReportLab Drawing; it may not reach files outside its own folder."""
    from svglib.svglib import svg2rlg

    try:
        if path.stat().st_size > MAX_SVG_BYTES:
            raise BookletError.at(str(path), "the SVG file is larger than 2 MB", "simplify the drawing")
        _check_svg_size(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import logging

            logging.getLogger("svglib.svglib").setLevel(logging.CRITICAL)
            drawing = svg2rlg(str(path), external_reference_root=str(path.parent), font_map=_shipped_font_map())
    except BookletError:
        raise
    except Exception as exc:  # svglib raises many kinds on a broken file
        raise BookletError.at(str(path), f"the SVG cannot be read ({type(exc).__name__})",
                              "open it in a drawing program and save it again as plain SVG") from None
    if drawing is None or not drawing.width or not drawing.height:
        raise BookletError.at(str(path), "the SVG cannot be read or has no size",
                              "give the <svg> element a width and height or a viewBox")
    return drawing
