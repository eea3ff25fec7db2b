"""Share links and share posters (mall/posters.py). The QR codes are read back with
zxing-cpp, the decoder phones' scanners are built on."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image, ImageChops

from mall import posters
from mall.posters import (
    MARGIN,
    PHOTO_HEIGHT,
    POSTER_SIZE,
    PosterFontError,
    PosterTextError,
    poster_fonts,
    share_poster,
    share_url,
    wrap_text,
)

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Latin only: no Chinese glyphs
URL = "https://mall.dealerops.cn/m/mall/products/42/?ref=ZW8K3Q"
LONG_NAME = (
    "壳牌（Shell）超凡喜力全合成机油 5W-40 SN 级 4L 装 + 原厂机滤套餐，含工时费，"
    "一汽大众全系适用，到店安装，赠送 30 项免费安全检测与玻璃水加注服务"
)


def _photo(color=(30, 110, 200), size=(1200, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


def _poster(**overrides) -> bytes:
    params = {
        "product_image": _photo(),
        "product_name": "车载无线充电手机支架",
        "price_text": "¥99 + 2,000 积分",
        "employee_name": "张伟",
        "store_name": "一汽大众S01店",
        "url": URL,
    }
    params.update(overrides)
    return share_poster(**params)


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _decoded(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def _is_blank(image: Image.Image, box, color=posters.BACKGROUND) -> bool:
    region = image.crop(box)
    return ImageChops.difference(region, Image.new("RGB", region.size, color)).getbbox() is None


# --- share_url ------------------------------------------------------------------------


def test_share_url_is_the_mini_site_product_page_with_the_referral_code():
    assert share_url(42, "ZW8K3Q", "https://mall.dealerops.cn") == URL
    assert share_url(42, "ZW8K3Q", "https://mall.dealerops.cn/") == URL


def test_share_url_keeps_a_path_prefix_and_escapes_the_code():
    assert (
        share_url(7, "a b&c=d", "https://dealer.example.cn/dealerops/")
        == "https://dealer.example.cn/dealerops/m/mall/products/7/?ref=a+b%26c%3Dd"
    )


@pytest.mark.parametrize(
    ("product_id", "code", "base"),
    [
        (0, "ZW8K3Q", "https://mall.dealerops.cn"),
        ("42", "ZW8K3Q", "https://mall.dealerops.cn"),
        (True, "ZW8K3Q", "https://mall.dealerops.cn"),
        (42, "", "https://mall.dealerops.cn"),
        (42, "  ", "https://mall.dealerops.cn"),
        (42, "ZW8K3Q", "/m/mall"),
        (42, "ZW8K3Q", "javascript:alert(1)"),
        (42, "ZW8K3Q", "https://mall.dealerops.cn/?x=1"),
    ],
)
def test_share_url_refuses_bad_input(product_id, code, base):
    with pytest.raises(ValueError):
        share_url(product_id, code, base)


# --- the poster -----------------------------------------------------------------------


def test_poster_is_a_750_by_1334_png():
    png = _poster()

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(png)).verify()
    image = _open(png)
    assert (image.format, image.size, image.mode) == ("PNG", POSTER_SIZE, "RGB")
    assert POSTER_SIZE == (750, 1334)


def test_poster_qr_code_decodes_back_to_exactly_the_share_url():
    url = share_url(123456, "HQ-ZHANGWEI-2026", "https://dealer.example.cn/dealerops")

    image = _open(_poster(url=url))

    assert _decoded(image) == [url]


def test_poster_qr_code_still_scans_when_the_poster_is_shrunk_and_recompressed():
    # WeChat shows and forwards posters smaller and as JPEG; the code must survive that.
    image = _open(_poster())
    small = image.resize((375, 667), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=60)

    assert _decoded(Image.open(out)) == [URL]


def test_qr_modules_are_whole_pixels_big_enough_to_scan():
    qr, quiet = posters._qr_image(URL)

    module = quiet // 4
    assert module >= 4 and quiet == 4 * module
    assert qr.width % module == 0 and qr.width <= posters.QR_BOX


def test_a_url_too_long_for_a_scannable_code_is_refused():
    with pytest.raises(ValueError):
        share_poster(
            product_image=None,
            product_name="机油",
            price_text="¥99",
            employee_name="张伟",
            store_name="S01店",
            url="https://mall.dealerops.cn/m/mall/products/1/?ref=" + "X" * 900,
        )


def test_product_photo_fills_the_top_of_the_poster():
    image = _open(_poster(product_image=_photo(color=(200, 30, 30), size=(900, 1600))))

    for point in [(5, 5), (744, 5), (375, 375), (5, PHOTO_HEIGHT - 5), (744, PHOTO_HEIGHT - 5)]:
        r, g, b = image.getpixel(point)
        assert r > 180 and g < 60 and b < 60, point
    assert image.getpixel((375, PHOTO_HEIGHT + 5)) == posters.BACKGROUND


def test_poster_without_a_product_image_still_renders_with_a_placeholder():
    image = _open(_poster(product_image=None))

    assert image.size == POSTER_SIZE
    assert image.getpixel((5, 5)) == posters.PLACEHOLDER
    assert not _is_blank(image, (0, 0, 750, PHOTO_HEIGHT), posters.PLACEHOLDER)  # "暂无商品图片"
    assert _decoded(image) == [URL]


def test_poster_with_a_broken_product_image_falls_back_to_the_placeholder():
    image = _open(_poster(product_image=b"not an image at all"))

    assert image.getpixel((5, 5)) == posters.PLACEHOLDER
    assert _decoded(image) == [URL]


def test_long_names_wrap_without_overflowing_the_margins_or_the_qr_code():
    image = _open(
        _poster(
            product_name=LONG_NAME,
            price_text="¥12,999.00 + 2,000,000 积分（会员日再享 9 折，限每人 2 件）",
            employee_name="欧阳娜娜娜娜娜娜",
            store_name="一汽大众广州白云区机场路旗舰店（S01）新能源体验中心",
        )
    )

    text_top, bottom = PHOTO_HEIGHT, POSTER_SIZE[1]
    assert _is_blank(image, (0, text_top, MARGIN - 2, bottom))  # left margin
    assert _is_blank(image, (750 - MARGIN + 2, text_top, 750, bottom))  # right margin
    assert not _is_blank(image, (MARGIN, text_top, 750 - MARGIN, text_top + 150))  # the name is there
    # Between the byline column and the QR code's quiet zone: nothing.
    qr, quiet = posters._qr_image(URL)
    qr_left = 750 - MARGIN - qr.width + quiet
    assert _is_blank(image, (qr_left - 20, 1050, qr_left, bottom))
    assert _decoded(image) == [URL]


def test_wrap_text_keeps_every_line_inside_the_width():
    font = posters._font(poster_fonts().bold, poster_fonts().index, 40)

    lines = wrap_text(LONG_NAME, font, 654, 10)

    assert len(lines) > 2
    assert all(font.getlength(line) <= 654 for line in lines)
    assert "".join(lines).replace(" ", "") == LONG_NAME.replace(" ", "")
    assert not any(line[0] in "，）。" for line in lines)  # no closing punctuation starts a line


def test_wrap_text_cuts_to_max_lines_with_an_ellipsis():
    font = posters._font(poster_fonts().bold, poster_fonts().index, 40)

    lines = wrap_text(LONG_NAME, font, 654, 2)

    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 654 for line in lines)


def test_wrap_text_keeps_latin_words_whole_and_breaks_a_word_wider_than_the_line():
    font = posters._font(poster_fonts().regular, poster_fonts().index, 28)

    lines = wrap_text("Michelin Pilot Sport 4 SUV 轮胎", font, 200, 5)
    assert "Michelin" in lines[0] and all(" " not in (line[0], line[-1]) for line in lines)
    assert {"Pilot", "Sport"} <= set(" ".join(lines).split())

    long_word = "X" * 80
    lines = wrap_text(long_word, font, 200, 10)
    assert "".join(lines) == long_word and all(font.getlength(line) <= 200 for line in lines)


def test_poster_is_deterministic():
    assert _poster() == _poster()


def test_emoji_in_a_name_is_left_out_not_drawn_as_a_box():
    fonts = poster_fonts()

    assert posters._printable("🔥限时特惠 ✨ 洗车卡", fonts, bold=True) == "限时特惠 洗车卡"
    assert _open(_poster(product_name="🔥限时特惠洗车卡")).size == POSTER_SIZE


def test_a_letter_the_font_lacks_is_refused_by_name():
    rare = "\U00020000"  # CJK Extension B: outside GBK, not in the bundled subset

    with pytest.raises(PosterTextError) as exc_info:
        _poster(employee_name=f"张{rare}")

    assert exc_info.value.code == "poster_glyph_missing"
    assert rare in str(exc_info.value.message)


def test_bundled_font_covers_uncommon_name_characters():
    fonts = poster_fonts()

    assert fonts.regular == str(posters.VENDORED_REGULAR) and fonts.bold == str(posters.VENDORED_BOLD)
    assert posters._printable("王堃 李喆 陈昇 ¥ ℃", fonts, bold=False) == "王堃 李喆 陈昇 ¥ ℃"


# --- the font setting -----------------------------------------------------------------


def test_the_font_setting_is_used(settings):
    settings.POSTER_FONT_PATH = str(posters.VENDORED_BOLD)

    fonts = poster_fonts()

    assert (fonts.regular, fonts.bold, fonts.index) == (str(posters.VENDORED_BOLD), str(posters.VENDORED_BOLD), 0)
    assert _open(_poster()).size == POSTER_SIZE


def test_a_configured_font_without_chinese_fails_clearly_instead_of_drawing_tofu(settings):
    settings.POSTER_FONT_PATH = DEJAVU

    with pytest.raises(PosterFontError, match="no Chinese glyphs"):
        _poster()


def test_a_configured_font_that_does_not_exist_fails_clearly(settings):
    settings.POSTER_FONT_PATH = "/nowhere/NotoSansSC.otf"

    with pytest.raises(PosterFontError, match="file not found"):
        _poster()


def test_without_any_cjk_font_the_poster_fails_clearly(settings, monkeypatch, tmp_path):
    settings.POSTER_FONT_PATH = None
    monkeypatch.setattr(posters, "VENDORED_REGULAR", tmp_path / "missing-Regular.otf")
    monkeypatch.setattr(posters, "VENDORED_BOLD", tmp_path / "missing-Bold.otf")
    monkeypatch.setattr(posters, "SYSTEM_FONTS", ((DEJAVU, DEJAVU, 0),))

    with pytest.raises(PosterFontError, match="POSTER_FONT_PATH"):
        _poster()
