"""Chinese mobile numbers, licence plates and VINs: normalise, validate, mask.

Every form, serializer, import and service goes through these functions, so a
plate typed as ``粤ｂ·１２３４５`` on a phone keyboard and ``粤B12345`` from the
DMS end up as the same value.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_INVALID = _("请输入有效的中国大陆手机号（11 位，以 1 开头）。")
PLATE_INVALID = _("请输入有效的车牌号，例如 京A12345 或新能源 粤BD12345。")
VIN_INVALID_FORMAT = _("车架号（VIN）应为 17 位字母或数字，且不含 I、O、Q。")
VIN_INVALID_CHECK = _("车架号（VIN）校验位不正确，请核对。")

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O
_ALNUM = "A-HJ-NP-Z0-9"
# Ordinary blue/yellow plates: province, issuing-office letter, 5 characters;
# some end in a special character (学 learner, 警 police, 挂 trailer, 港/澳).
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_LETTER}](?:[{_ALNUM}]{{5}}|[{_ALNUM}]{{4}}[学警挂港澳领])\Z")
# New-energy (green) plates: 6 characters after the office letter (GA 36-2018).
# The first character of a small car's serial names its energy: D for pure
# electric and F for the others, extended by the Ministry of Public Security
# in 2021-2022 (cities had used up D and F) to D A B C E for pure electric
# and F G H J K for the others (plug-in hybrid, range extender, fuel cell);
# then a letter or digit and four digits.  Large vehicles (yellow-green):
# five digits, then D or F (the extension is for small cars only).
PURE_ELECTRIC_LETTERS = "DABCE"
NON_PURE_ELECTRIC_LETTERS = "FGHJK"
ENERGY_LETTERS = PURE_ELECTRIC_LETTERS + NON_PURE_ELECTRIC_LETTERS
LARGE_ENERGY_LETTERS = "DF"
_NEW_ENERGY = re.compile(
    rf"^[{PROVINCES}][{_LETTER}]"
    rf"(?:[{ENERGY_LETTERS}][{_ALNUM}][0-9]{{4}}|[0-9]{{5}}[{LARGE_ENERGY_LETTERS}])\Z"
)
_PLATE_SEPARATORS = re.compile(r"[\s·•・‧∙．.\-_]+")
_VIN_SEPARATORS = re.compile(r"[\s\-]+")

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}\Z")
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


_MOBILE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.()]+")
_MOBILE_CHARS = re.compile(r"\+?[0-9]+")


def _halfwidth(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _squeeze(value, separators: re.Pattern) -> str:
    """NFKC, drop separators, upper case: repeated until nothing changes, so
    that normalising twice gives the same value (NFKC can leave a combining
    mark after a dropped space; ``upper()`` can decompose a letter)."""
    text = str(value or "")
    for _attempt in range(4):
        squeezed = separators.sub("", _halfwidth(text)).upper()
        if squeezed == text:
            break
        text = squeezed
    return text


# --- Mobile numbers -----------------------------------------------------------------


def normalize_mobile(value: str) -> str:
    """Return the 11-digit national form of a Chinese mobile number, or raise."""
    return _normalize_mobile(str(value or ""))


# Parsing with phonenumbers is the slow part of checking an import row (about
# 0.1 ms); a file names the same mobiles again and again, and the import job
# checks every row twice.  A bounded cache of the numbers that passed (a few
# megabytes at most); a refused one raises and is not cached.
@functools.lru_cache(maxsize=1 << 17)
def _normalize_mobile(value: str) -> str:
    raw = _halfwidth(value).strip()
    digits = _MOBILE_SEPARATORS.sub("", raw)
    if not _MOBILE_CHARS.fullmatch(digits):
        # phonenumbers would read letters as a keypad ("138ABCD5678") and drop
        # an extension ("… ext. 12"): a different or partial number.
        raise ValidationError(MOBILE_INVALID, code="invalid_mobile")
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    if not digits.startswith("+"):
        if len(digits) == 13 and digits.startswith("86"):
            digits = "+" + digits
        else:
            digits = "+86" + digits
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(MOBILE_INVALID, code="invalid_mobile") from exc
    national = str(number.national_number)
    if (
        number.country_code != 86
        or len(national) != 11
        or not national.startswith("1")
        or phonenumbers.number_type(number)
        not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise ValidationError(MOBILE_INVALID, code="invalid_mobile")
    return national


def validate_mobile(value: str) -> None:
    if normalize_mobile(value) != value:
        raise ValidationError(MOBILE_INVALID, code="invalid_mobile")


def mask_mobile(value: str | None) -> str:
    """138****5678: what every list shows."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


# --- Plates ---------------------------------------------------------------------------


def normalize_plate(value: str) -> str:
    """Full-width to half-width, upper case, no spaces or separator dots."""
    return _squeeze(value, _PLATE_SEPARATORS)


def is_valid_plate(value: str) -> bool:
    return bool(_ORDINARY.match(value) or _NEW_ENERGY.match(value))


def is_new_energy_plate(value: str) -> bool:
    return bool(_NEW_ENERGY.match(value))


def new_energy_kind(value: str) -> str | None:
    """``"pure_electric"`` or ``"non_pure_electric"`` for a new-energy plate
    (read from its energy letter: first of a small car's serial, last of a
    large vehicle's), ``None`` for any other value."""
    if not _NEW_ENERGY.match(value):
        return None
    serial = value[2:]
    letter = serial[-1] if serial[0].isdigit() else serial[0]
    return "pure_electric" if letter in PURE_ELECTRIC_LETTERS else "non_pure_electric"


def clean_plate(value: str) -> str:
    plate = normalize_plate(value)
    if not is_valid_plate(plate):
        raise ValidationError(PLATE_INVALID, code="invalid_plate")
    return plate


def validate_plate(value: str) -> None:
    if not is_valid_plate(value):
        raise ValidationError(PLATE_INVALID, code="invalid_plate")


# --- VINs -------------------------------------------------------------------------------


def vin_check_digit(vin: str) -> str:
    """ISO 3779 / GB 16735 check digit (9th character) of a 17-character VIN."""
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str) -> str:
    return _squeeze(value, _VIN_SEPARATORS)


def clean_vin(value: str) -> str:
    vin = normalize_vin(value)
    if not _VIN_RE.match(vin):
        raise ValidationError(VIN_INVALID_FORMAT, code="invalid_vin")
    if vin[8] != vin_check_digit(vin):
        raise ValidationError(VIN_INVALID_CHECK, code="invalid_vin_check")
    return vin


def validate_vin(value: str) -> None:
    if clean_vin(value) != value:
        raise ValidationError(VIN_INVALID_FORMAT, code="invalid_vin")
