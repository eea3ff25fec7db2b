"""Employee share links and share posters (分销海报).

- ``share_url(product_id, referral_code, base_url)``: the mini-site product page with the
  employee's referral code, ``https://…/m/mall/products/42/?ref=AB12CD``.
- ``share_poster(...)``: a 750 × 1334 PNG for a phone (WeChat Moments, chats): the product
  photo, its name and price, "顾问 张伟 · 一汽大众S01店 推荐", and a QR code (segno) of the
  share URL drawn at a whole number of pixels per module, so phones scan it.

Chinese text needs a CJK font. The font is, in this order:
1. the setting ``POSTER_FONT_PATH`` (and ``POSTER_FONT_BOLD_PATH`` for the name and price,
   default the same file; ``POSTER_FONT_INDEX`` picks the face in a .ttc collection). A
   configured font that is missing or has no Chinese glyphs is an error, never silently
   replaced;
2. the Noto Sans CJK SC subset shipped in ``static/fonts/`` (every GBK character; see its
   README.md and OFL.txt);
3. a CJK font Debian installs (fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei).
Without any, ``PosterFontError`` (an ``ImproperlyConfigured``) says so: a poster never shows
boxes (tofu) instead of text. Characters the font lacks are handled the same way: emoji and
decorative symbols are left out; a letter the font does not have raises
``PosterTextError`` (code ``poster_glyph_missing``) naming it.

Pure functions: no models, no storage. The share service stores or serves the bytes.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw, ImageFont, ImageOps

from mall.exceptions import MallError
from mall.images import load_rgb

logger = logging.getLogger(__name__)

POSTER_SIZE = (750, 1334)
PHOTO_HEIGHT = 750
MARGIN = 48
QR_BOX = 232  # the QR code with its quiet zone fits in this square
QR_MIN_MODULE_PX = 3
SHARE_PATH = "/m/mall/products/{product_id}/"

FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
VENDORED_REGULAR = FONTS_DIR / "NotoSansCJKsc-Regular-GBK.otf"
VENDORED_BOLD = FONTS_DIR / "NotoSansCJKsc-Bold-GBK.otf"
# (regular, bold, face index) as Debian's font packages install them.
SYSTEM_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
_CJK_PROBE = "积分顾问推荐长按识别二维码"
_NOTDEF_PROBE = "\U0010fffd"  # a private-use code point no font maps: draws the .notdef box

BACKGROUND = (255, 255, 255)
PLACEHOLDER = (242, 243, 245)
INK = (31, 35, 41)
PRICE_RED = (224, 46, 36)
MUTED = (134, 144, 156)
RULE = (229, 230, 235)

POSTER_GLYPH_MISSING = gettext_lazy("海报字体里没有这些字：%(chars)s。请联系管理员配置完整的中文字体。")

# A line may not start with these (closing punctuation) nor end with the opening ones.
_NO_LINE_START = set("，。、；：！？）」』】》〉”’…,.;:!?)]}%")
_NO_LINE_END = set("（「『【《〈“‘([{¥$")


class PosterFontError(ImproperlyConfigured):
    """No usable CJK font: set POSTER_FONT_PATH or install one (see static/fonts/README.md)."""


class PosterTextError(MallError):
    code = "poster_glyph_missing"


@dataclass(frozen=True)
class PosterFonts:
    regular: str
    bold: str
    index: int


def share_url(product_id: int, referral_code: str, base_url: str) -> str:
    """The address an employee shares: the mini-site product page with their code.

    ``base_url`` is the site's public origin (``https://mall.example.cn``, a trailing slash
    or a path prefix such as ``https://example.cn/dealer`` allowed).
    """
    if isinstance(product_id, bool) or not isinstance(product_id, int) or product_id < 1:
        raise ValueError(f"product_id must be a positive integer, not {product_id!r}")
    return share_url_for_path(SHARE_PATH.format(product_id=product_id), referral_code, base_url)


def share_url_for_path(path: str, referral_code: str, base_url: str) -> str:
    """Any mini-site page (``path``, e.g. ``/m/usedcars/7/``) with the employee's
    ``?ref=<code>``: what ``share_url`` does for a product, for other shared pages
    (a used-car listing)."""
    if not referral_code or not referral_code.strip():
        raise ValueError("referral_code is empty")
    if not path.startswith("/") or "?" in path or "#" in path:
        raise ValueError(f"path must be an absolute path without query, not {path!r}")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base_url must be an absolute http(s) origin, not {base_url!r}")
    return f"{base_url.rstrip('/')}{path}?{urlencode({'ref': referral_code.strip()})}"


# --- fonts ----------------------------------------------------------------------------


def poster_fonts() -> PosterFonts:
    """The font files posters are drawn with (see the module docstring for the order)."""
    configured = getattr(settings, "POSTER_FONT_PATH", None)
    if configured:
        bold = getattr(settings, "POSTER_FONT_BOLD_PATH", None) or configured
        fonts = PosterFonts(str(configured), str(bold), int(getattr(settings, "POSTER_FONT_INDEX", 0) or 0))
        for path in {fonts.regular, fonts.bold}:
            problem = _font_problem(path, fonts.index)
            if problem:
                raise PosterFontError(f"POSTER_FONT_PATH / POSTER_FONT_BOLD_PATH: {path}: {problem}")
        return fonts
    candidates = [(str(VENDORED_REGULAR), str(VENDORED_BOLD), 0), *SYSTEM_FONTS]
    for regular, bold, index in candidates:
        if not _font_problem(regular, index) and not _font_problem(bold, index):
            return PosterFonts(regular, bold, index)
    raise PosterFontError(
        "No CJK font for share posters: the bundled static/fonts/NotoSansCJKsc-*-GBK.otf are missing "
        "and no Debian CJK font (fonts-noto-cjk, fonts-wqy-microhei) is installed. "
        "Set POSTER_FONT_PATH to a font with Simplified Chinese glyphs."
    )


def _font_problem(path: str, index: int) -> str | None:
    if not Path(path).is_file():
        return "file not found"
    try:
        _font(path, index, 32)
    except OSError as exc:
        return f"not a font Pillow can open ({exc})"
    missing = [ch for ch in _CJK_PROBE if not _has_glyph(path, index, ch)]
    if missing:
        return f"has no Chinese glyphs (missing {''.join(missing)!r}); a poster would show boxes"
    return None


@lru_cache(maxsize=64)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _render_probe(path: str, index: int, ch: str) -> bytes:
    canvas = Image.new("L", (64, 64))
    ImageDraw.Draw(canvas).text((8, 8), ch, font=_font(path, index, 32), fill=255)
    return canvas.tobytes()


@lru_cache(maxsize=8192)
def _has_glyph(path: str, index: int, ch: str) -> bool:
    """Whether the font draws ``ch`` as itself rather than as its .notdef box."""
    return _render_probe(path, index, ch) != _render_probe(path, index, _NOTDEF_PROBE)


def _printable(text: str, fonts: PosterFonts, *, bold: bool) -> str:
    """``text`` on one line with what the font cannot draw left out (emoji, symbols,
    joiners); a missing letter or digit raises ``PosterTextError``."""
    path = fonts.bold if bold else fonts.regular
    out, missing = [], []
    for ch in unicodedata.normalize("NFC", " ".join(text.split())):
        if ch == " " or _has_glyph(path, fonts.index, ch):
            out.append(ch)
        elif unicodedata.category(ch)[0] in "LN":
            missing.append(ch)
        # else: emoji, dingbats, variation selectors, zero-width joiners: left out
    if missing:
        chars = "".join(dict.fromkeys(missing))
        raise PosterTextError(POSTER_GLYPH_MISSING % {"chars": chars}, fields={"chars": chars})
    return " ".join("".join(out).split())


# --- text layout ----------------------------------------------------------------------


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Break opportunities: each wide (CJK) character alone, Latin words whole, spaces."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or _is_wide(ch):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` no wider than ``max_width`` px, at most ``max_lines`` (the last
    one ends in "…" when text was cut). CJK breaks between any two characters, Latin
    words stay whole unless a word alone is too wide; closing punctuation never starts a
    line."""

    def width(s: str) -> float:
        return font.getlength(s)

    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if token == " ":
            if line:
                line += " "
            continue
        if width(line + token) <= max_width:
            line += token
            continue
        carry = ""
        if token[0] in _NO_LINE_START and len(line.rstrip()) > 1:
            line, carry = line.rstrip()[:-1], line.rstrip()[-1]  # take a character along
        while line and line[-1] in _NO_LINE_END:
            line, carry = line[:-1], line[-1] + carry
        if line.strip():
            lines.append(line.rstrip())
        line = carry
        if width(line + token) <= max_width:
            line += token
            continue
        for ch in token:  # a word wider than the line: break it anywhere
            if line and width(line + ch) > max_width:
                lines.append(line.rstrip())
                line = ""
            line += ch
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and width(last.rstrip() + "…") > max_width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines


def _fit_one_line(text: str, fonts: PosterFonts, *, bold: bool, size: int, min_size: int, max_width: int):
    """The largest font size from ``size`` down to ``min_size`` that fits ``text`` on one
    line; below that, ``text`` cut with "…"."""
    path = fonts.bold if bold else fonts.regular
    for s in range(size, min_size - 1, -2):
        font = _font(path, fonts.index, s)
        if font.getlength(text) <= max_width:
            return font, text
    font = _font(path, fonts.index, min_size)
    return font, wrap_text(text, font, max_width, 1)[0] if text else ""


# --- drawing --------------------------------------------------------------------------


def _qr_image(url: str) -> tuple[Image.Image, int]:
    """The QR code of ``url`` with its 4-module quiet zone, whole pixels per module, and
    the width of that quiet zone in pixels."""
    qr = segno.make_qr(url, error="m")
    modules = len(qr.matrix)
    side = modules + 8
    scale = QR_BOX // side
    if scale < QR_MIN_MODULE_PX:
        raise ValueError(f"share URL too long for a scannable poster QR code ({len(url)} characters)")
    pixels = bytes(0 if bit else 255 for row in qr.matrix for bit in row)
    code = Image.frombytes("L", (modules, modules), pixels).resize(
        (modules * scale, modules * scale), Image.Resampling.NEAREST
    )
    framed = Image.new("RGB", (side * scale, side * scale), BACKGROUND)
    framed.paste(code, (4 * scale, 4 * scale))
    return framed, 4 * scale


def _photo(product_image: bytes | None) -> Image.Image | None:
    if not product_image:
        return None
    try:
        image = load_rgb(product_image, box=1500)
    except ValidationError:
        logger.warning("share poster: the product image is not a usable image; drawing the placeholder")
        return None
    return ImageOps.fit(image, (POSTER_SIZE[0], PHOTO_HEIGHT), Image.Resampling.LANCZOS)


def _draw_lines(draw, lines, font, x, y, line_height, fill) -> int:
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill)
        y += line_height
    return y


def share_poster(
    *,
    product_image: bytes | None,
    product_name: str,
    price_text: str,
    employee_name: str,
    store_name: str,
    url: str,
    hint: str | None = None,
    placeholder: str | None = None,
) -> bytes:
    """A 750 × 1334 PNG share poster; ``url`` is what its QR code holds (``share_url``).

    ``product_image`` is the photo's bytes (best the "large" variant from
    ``mall.images.process``), cover-fitted to the top 750 × 750; without one, or with one
    that is not a usable image, a neutral placeholder. ``price_text`` is drawn as given
    ("¥99 + 2,000 积分"). Same input, same bytes. Raises ``PosterFontError`` without a
    CJK font and ``PosterTextError`` for a letter the font cannot draw.  ``hint`` (under
    the byline) and ``placeholder`` (on a poster without photo) default to the
    product wording; other shared things (a used car) pass their own.
    """
    fonts = poster_fonts()
    name = _printable(product_name, fonts, bold=True)
    price = _printable(price_text, fonts, bold=True)
    byline = _printable(
        _("顾问 %(name)s · %(store)s 推荐") % {"name": employee_name.strip(), "store": store_name.strip()},
        fonts,
        bold=False,
    )
    hint = _printable(hint or _("长按识别二维码，查看商品详情"), fonts, bold=False)

    poster = Image.new("RGB", POSTER_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(poster)
    width = POSTER_SIZE[0]
    text_width = width - 2 * MARGIN

    photo = _photo(product_image)
    if photo is not None:
        poster.paste(photo, (0, 0))
    else:
        draw.rectangle((0, 0, width - 1, PHOTO_HEIGHT - 1), fill=PLACEHOLDER)
        label_font = _font(fonts.regular, fonts.index, 32)
        label = _printable(placeholder or _("暂无商品图片"), fonts, bold=False)
        label_width = label_font.getlength(label)
        draw.text(((width - label_width) / 2, PHOTO_HEIGHT / 2 - 20), label, font=label_font, fill=MUTED)

    # Name: bold, up to two lines.
    name_font = _font(fonts.bold, fonts.index, 40)
    y = _draw_lines(draw, wrap_text(name, name_font, text_width, 2), name_font, MARGIN, PHOTO_HEIGHT + 36, 58, INK)

    # Price: one line, shrunk to fit.
    price_font, price_line = _fit_one_line(price, fonts, bold=True, size=52, min_size=30, max_width=text_width)
    draw.text((MARGIN, max(y, PHOTO_HEIGHT + 36 + 58) + 12), price_line, font=price_font, fill=PRICE_RED)

    # Rule, then the QR code on the right and who recommends it on the left.
    rule_y = 1046
    draw.line((MARGIN, rule_y, width - MARGIN, rule_y), fill=RULE, width=2)
    qr, quiet = _qr_image(url)
    qr_x = min(width - MARGIN - qr.width + quiet, width - qr.width)  # the code's edge on the margin
    poster.paste(qr, (qr_x, rule_y + 16))

    left_width = qr_x + quiet - MARGIN - 24
    byline_font = _font(fonts.regular, fonts.index, 28)
    y = _draw_lines(draw, wrap_text(byline, byline_font, left_width, 3), byline_font, MARGIN, rule_y + 48, 42, INK)
    hint_font = _font(fonts.regular, fonts.index, 24)
    _draw_lines(draw, wrap_text(hint, hint_font, left_width, 2), hint_font, MARGIN, y + 20, 36, MUTED)

    out = io.BytesIO()
    poster.save(out, "PNG")
    return out.getvalue()
