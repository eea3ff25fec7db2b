"""accounts.validators: Chinese mobiles, licence plates and VINs.

Example-based tests pin the formats people actually type; hypothesis
properties cover the generators in ``accounts.demo`` and the normalisers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import exceptions as errors
from accounts import services
from accounts.demo import mobile_for, plate_for, vin_for
from accounts.exceptions import AccountsError
from accounts.models import Vehicle
from accounts.validators import (
    MOBILE_INVALID,
    ENERGY_LETTERS,
    LARGE_ENERGY_LETTERS,
    NON_PURE_ELECTRIC_LETTERS,
    PLATE_INVALID,
    PROVINCES,
    PURE_ELECTRIC_LETTERS,
    VIN_ALPHABET,
    VIN_INVALID_CHECK,
    VIN_INVALID_FORMAT,
    _VIN_VALUES,
    clean_plate,
    clean_vin,
    is_new_energy_plate,
    is_valid_plate,
    mask_mobile,
    new_energy_kind,
    normalize_mobile,
    normalize_plate,
    normalize_vin,
    validate_mobile,
    validate_plate,
    validate_vin,
    vin_check_digit,
)

# A real, published VIN (the classic ISO 3779 worked example).
KNOWN_VIN = "1M8GDM9AXKP042788"


# --- Mobile numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "  13812345678  ",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "8613812345678",
        "008613812345678",
        "(138) 1234-5678",
        "138.1234.5678",
        "138 1234 5678",
        "１３８１２３４５６７８",  # full-width digits from a Chinese IME
        "１３８－１２３４－５６７８",
        "＋８６ １３８ １２３４ ５６７８",
        "+86\u00a0138\u20021234\u30005678",  # no-break, en and ideographic spaces
        "138—1234—5678",
    ],
)
def test_normalize_mobile_accepts_common_spellings(raw):
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["19912345678", "16612345678", "17012345678", "15012345678", "18912345678"])
def test_normalize_mobile_accepts_current_prefixes(raw):
    assert normalize_mobile(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "abc",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "23812345678",  # does not start with 1
        "12345678901",  # 12x is no mobile range
        "10012345678",
        "11012345678",
        "02012345678",  # Guangzhou landline
        "+1 202 555 0123",  # not China
        "+852 9123 4567",  # Hong Kong
        "138ABCD5678",  # phonenumbers would read these letters as a keypad
        "1381234567A",
        "13812345678 ext. 12",  # an extension would be silently dropped
        "13812345678#12",
        "138/1234/5678",
        "+8613812345678abc",
    ],
)
def test_normalize_mobile_rejects_invalid(raw):
    with pytest.raises(ValidationError) as info:
        normalize_mobile(raw)
    assert info.value.code == "invalid_mobile"
    assert info.value.messages == [str(MOBILE_INVALID)]


def test_validate_mobile_requires_the_normalised_form():
    validate_mobile("13812345678")
    with pytest.raises(ValidationError):
        validate_mobile("+86 138 1234 5678")  # valid number, but stored values must be normalised
    with pytest.raises(ValidationError):
        validate_mobile("23812345678")


@pytest.mark.parametrize(
    "value, masked",
    [("13812345678", "138****5678"), ("13987654321", "139****4321"), ("", ""), (None, ""), ("12345", "*****")],
)
def test_mask_mobile(value, masked):
    assert mask_mobile(value) == masked


def test_mask_mobile_hides_the_middle_digits():
    masked = mask_mobile("13812345678")
    assert "1234" not in masked and masked.startswith("138") and masked.endswith("5678")


# --- Plates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("粤B12345", "粤B12345"),
        ("粤B·12345", "粤B12345"),  # the dot printed on real plates
        ("粤B•12345", "粤B12345"),
        ("粤B・12345", "粤B12345"),
        ("粤B.12345", "粤B12345"),
        ("粤B-12345", "粤B12345"),
        ("粤b12345", "粤B12345"),  # lower case
        ("粤b 12 345", "粤B12345"),  # spaces
        ("粤Ｂ１２３４５", "粤B12345"),  # full-width letters and digits
        ("粤ｂ·１２３４５", "粤B12345"),
        ("粤Ｂ．１２３４５", "粤B12345"),  # full-width full stop
        ("\u3000粤B 12345\u3000", "粤B12345"),  # ideographic spaces
        ("粤bd12345", "粤BD12345"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_plate(raw, normalised):
    assert normalize_plate(raw) == normalised


@pytest.mark.parametrize(
    "plate",
    ["京A12345", "粤B12345", "沪AAB123", "粤BD1234", "川A1234学", "粤B1234挂", "粤Z1234港", "京A0000Q"],
)
def test_ordinary_plates_are_valid(plate):
    assert is_valid_plate(plate)
    assert not is_new_energy_plate(plate)
    validate_plate(plate)


@pytest.mark.parametrize("plate", ["粤BD12345", "粤BF12345", "粤BDA1234", "京AFZ1234", "粤B12345D", "粤B12345F"])
def test_new_energy_plates_are_valid(plate):
    assert is_valid_plate(plate)
    assert is_new_energy_plate(plate)


def test_energy_letters_as_issued():
    """GA 36-2018 with the 2021-2022 extension: pure electric D A B C E,
    the other new-energy cars F G H J K; large vehicles keep D / F."""
    assert sorted(PURE_ELECTRIC_LETTERS) == list("ABCDE")
    assert sorted(NON_PURE_ELECTRIC_LETTERS) == list("FGHJK")
    assert ENERGY_LETTERS == PURE_ELECTRIC_LETTERS + NON_PURE_ELECTRIC_LETTERS
    assert LARGE_ENERGY_LETTERS == "DF"
    assert not set(ENERGY_LETTERS) & set("IO")


# A small new-energy plate for every energy letter, in the cities that ran out
# of D and F first (the city is the province and office letter; the serials
# are made up): energy letter, a letter or digit, four digits.
SMALL_NEW_ENERGY = [
    # pure electric: D, A, B, C, E
    ("粤BD12345", "pure_electric"),  # 深圳
    ("粤BA01234", "pure_electric"),  # 深圳
    ("沪AB12345", "pure_electric"),  # 上海
    ("浙AC81234", "pure_electric"),  # 杭州
    ("京AE00001", "pure_electric"),  # 北京
    ("粤AAZ1234", "pure_electric"),  # 广州: the second may be a letter
    ("川ABX5678", "pure_electric"),  # 成都
    ("苏EC36912", "pure_electric"),  # 苏州
    ("渝AEM0008", "pure_electric"),  # 重庆
    # non-pure electric (plug-in hybrid, range extender, fuel cell): F, G, H, J, K
    ("粤BF12345", "non_pure_electric"),  # 深圳
    ("沪AG12345", "non_pure_electric"),  # 上海
    ("京AH09876", "non_pure_electric"),  # 北京
    ("浙AJ55678", "non_pure_electric"),  # 杭州
    ("粤AKP0001", "non_pure_electric"),  # 广州
    ("鄂AGW2222", "non_pure_electric"),  # 武汉
    ("陕AH30303", "non_pure_electric"),  # 西安
    ("津AK12345", "non_pure_electric"),  # 天津
]


@pytest.mark.parametrize(("plate", "kind"), SMALL_NEW_ENERGY)
def test_small_new_energy_plates_of_every_energy_letter(plate, kind):
    assert is_valid_plate(plate)
    assert is_new_energy_plate(plate)
    assert new_energy_kind(plate) == kind
    validate_plate(plate)
    assert clean_plate(f"{plate[:2]}·{plate[2:].lower()}") == plate  # as typed on a phone


def test_every_energy_letter_has_an_example():
    assert {plate[2] for plate, _kind in SMALL_NEW_ENERGY} == set(ENERGY_LETTERS)


@pytest.mark.parametrize("letter", list(ENERGY_LETTERS))
@pytest.mark.parametrize("second", ["0", "9", "A", "Z", "D", "F"])
def test_each_energy_letter_with_a_letter_or_digit_then_four_digits(letter, second):
    plate = f"粤B{letter}{second}1234"
    assert is_new_energy_plate(plate) and is_valid_plate(plate)
    expected = "pure_electric" if letter in "DABCE" else "non_pure_electric"
    assert new_energy_kind(plate) == expected


@pytest.mark.parametrize("letter", list(ENERGY_LETTERS))
@pytest.mark.parametrize(
    "serial",
    [
        "{e}I1234",  # I and O are never serial letters
        "{e}O1234",
        "{e}A123A",  # the last four are digits
        "{e}12A34",
        "{e}AB123",
        "{e}12345 ",
        "{e}1234567",  # too long (five characters would be an ordinary blue plate)
    ],
)
def test_malformed_serials_after_an_energy_letter_are_refused(letter, serial):
    plate = "粤B" + serial.format(e=letter)
    assert not is_new_energy_plate(plate)
    assert not is_valid_plate(plate)
    assert new_energy_kind(plate) is None


@pytest.mark.parametrize("letter", sorted(set("ABCDEFGHJKLMNPQRSTUVWXYZ") - set(ENERGY_LETTERS)))
def test_letters_that_name_no_energy_are_refused_first(letter):
    plate = f"粤B{letter}12345"  # six after the office letter, as a green plate
    assert not is_new_energy_plate(plate)
    assert not is_valid_plate(plate)


@pytest.mark.parametrize(("plate", "kind"), [
    ("粤B12345D", "pure_electric"), ("京A00001D", "pure_electric"),  # large vehicles (buses, lorries)
    ("沪A12345F", "non_pure_electric"), ("川A98765F", "non_pure_electric"),
])
def test_large_new_energy_plates_end_in_d_or_f(plate, kind):
    assert is_valid_plate(plate) and is_new_energy_plate(plate)
    assert new_energy_kind(plate) == kind


@pytest.mark.parametrize("letter", sorted(set(ENERGY_LETTERS) - set(LARGE_ENERGY_LETTERS)) + ["I", "O", "L", "Z"])
def test_large_new_energy_plates_keep_only_d_and_f(letter):
    plate = f"粤B12345{letter}"
    assert not is_new_energy_plate(plate)
    assert not is_valid_plate(plate)


@pytest.mark.parametrize("plate", ["京A12345", "粤B1234学", "粤B1234警", "粤Z1234港", "粤Z1234澳", "粤B1234挂",
                                   "粤A1234领", "使A12345", "领A1234学", "沪AAB123", "粤BD1234"])
def test_ordinary_and_special_plates_are_not_new_energy(plate):
    assert is_valid_plate(plate)
    assert not is_new_energy_plate(plate)
    assert new_energy_kind(plate) is None


@pytest.mark.parametrize(
    "plate",
    [
        "粤BI2345",  # I is never used
        "粤BO2345",  # nor O
        "粤B1234I",
        "京I12345",  # not as the office letter either
        "京O12345",
        "粤BDI1234",
        "粤BAO1234",
        "粤B1234",  # too short
        "粤B123456",  # ordinary plate one too long, not a new-energy pattern
        "粤BD123456",  # new-energy one too long
        "粤BL12345",  # 6 after the letter but L names no energy
        "粤BI12345",
        "粤BO12345",
        "粤B12345A",  # large new-energy must end in D or F
        "粤BDAA123",  # new-energy small: only one letter after the energy letter
        "粤BAAA123",
        "XA12345",  # unknown province
        "港A12345",
        "AB12345",
        "粤112345",  # office code must be a letter
        "粤B12345学1",
        "京A12345\n",  # a raw value with a trailing newline is not a stored plate
        "粤BD12345\n",
        "粤BA12345\n",
        "",
    ],
)
def test_invalid_plates(plate):
    assert not is_valid_plate(plate)
    with pytest.raises(ValidationError) as info:
        validate_plate(plate)
    assert info.value.code == "invalid_plate"


def test_clean_plate_normalises_then_validates():
    assert clean_plate(" 粤ｂ·１２３４５ ") == "粤B12345"
    assert clean_plate("粤b d12345") == "粤BD12345"
    with pytest.raises(ValidationError) as info:
        clean_plate("粤B·1234I")
    assert info.value.messages == [str(PLATE_INVALID)]


# --- VINs ----------------------------------------------------------------------------------


def test_vin_check_digit_of_a_known_vin():
    assert vin_check_digit(KNOWN_VIN) == "X"
    assert clean_vin(KNOWN_VIN) == KNOWN_VIN


def test_vin_check_digit_by_hand():
    # Transliterate and weight by hand: 17 ones/letters worth 1 → sum of weights.
    vin = "11111111111111111"
    total = sum((8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2))  # 89
    assert vin_check_digit(vin) == str(total % 11)  # 1: "11111111111111111" is famously valid
    assert clean_vin(vin) == vin


def test_clean_vin_normalises_case_spaces_and_full_width():
    vin = vin_for(42)
    spaced = f" {vin[:3].lower()} {vin[3:9]}-{vin[9:].lower()} "
    assert clean_vin(spaced) == vin
    full_width = vin.translate({ord(c): ord(c) + 0xFEE0 for c in vin})
    assert normalize_vin(full_width) == vin
    assert clean_vin(full_width) == vin


@pytest.mark.parametrize(
    "vin",
    [
        KNOWN_VIN[:16],  # 16 characters
        KNOWN_VIN + "1",  # 18 characters
        "1M8GDM9AXKP04278I",  # I, O and Q are never used
        "1M8GDM9AXKP04278O",
        "1M8GDM9AXKP04278Q",
        "1M8GDM9AXKP0427-8*",
        "",
    ],
)
def test_vin_format_errors(vin):
    with pytest.raises(ValidationError) as info:
        clean_vin(vin)
    assert info.value.code == "invalid_vin"
    assert info.value.messages == [str(VIN_INVALID_FORMAT)]


def test_vin_wrong_check_digit_is_refused():
    wrong = KNOWN_VIN[:8] + "5" + KNOWN_VIN[9:]
    with pytest.raises(ValidationError) as info:
        clean_vin(wrong)
    assert info.value.code == "invalid_vin_check"
    assert info.value.messages == [str(VIN_INVALID_CHECK)]


def test_validate_vin_requires_normalised_value():
    vin = vin_for(7)
    validate_vin(vin)
    with pytest.raises(ValidationError):
        validate_vin(vin.lower())


# --- Properties -----------------------------------------------------------------------------

INDEXES = st.integers(min_value=0, max_value=34**4 * 10 - 1)
NEW_ENERGY_INDEXES = st.integers(min_value=0, max_value=680_000 - 1)


@settings(max_examples=300, deadline=None)
@given(INDEXES, st.sampled_from(["LSV", "LFV", "LHG", "1M8", "WVW"]))
def test_every_generated_vin_is_valid(index, wmi):
    vin = vin_for(index, wmi=wmi)
    assert len(vin) == 17
    assert not set(vin) & set("IOQ")
    assert vin[8] == vin_check_digit(vin)
    assert clean_vin(vin) == vin


@settings(max_examples=300, deadline=None)
@given(INDEXES, st.sampled_from("0123456789X"))
def test_changing_the_check_digit_makes_a_vin_invalid(index, digit):
    vin = vin_for(index)
    if digit == vin[8]:
        return
    tampered = vin[:8] + digit + vin[9:]
    with pytest.raises(ValidationError) as info:
        clean_vin(tampered)
    assert info.value.code == "invalid_vin_check"


@settings(max_examples=300, deadline=None)
@given(INDEXES, st.integers(min_value=0, max_value=16).filter(lambda p: p != 8), st.sampled_from(VIN_ALPHABET))
def test_a_single_substitution_changes_the_check_digit_or_is_caught(index, position, replacement):
    """The check digit catches every single-character error at a position
    whose weight is not zero (every position but the 9th itself)."""
    vin = vin_for(index)
    if vin[position] == replacement:
        return
    tampered = vin[:position] + replacement + vin[position + 1 :]
    if _VIN_VALUES[vin[position]] == _VIN_VALUES[replacement]:
        # A and J (both 1) transliterate alike: ISO 3779 cannot tell them apart.
        assert vin_check_digit(tampered) == vin[8]
        return
    with pytest.raises(ValidationError):
        clean_vin(tampered)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("京粤沪ABCDEFGHJKLMNPRSTUVWXYZ0123456789abcdz ·.-_ＡＢ１２．")), max_size=14))
def test_normalize_plate_is_idempotent(text):
    once = normalize_plate(text)
    assert normalize_plate(once) == once
    assert " " not in once and "·" not in once and once == once.upper()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=24))
def test_normalize_vin_and_plate_are_idempotent_on_any_text(text):
    assert normalize_vin(normalize_vin(text)) == normalize_vin(text)
    assert normalize_plate(normalize_plate(text)) == normalize_plate(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7))
def test_normalize_mobile_is_idempotent_on_generated_mobiles(index):
    mobile = mobile_for(index)
    assert normalize_mobile(mobile) == mobile
    assert normalize_mobile(normalize_mobile(mobile)) == mobile
    assert normalize_mobile(f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}") == mobile
    validate_mobile(mobile)
    assert mask_mobile(mobile) == mobile[:3] + "****" + mobile[-4:]


@settings(max_examples=300, deadline=None)
@given(INDEXES, st.sampled_from(PROVINCES), st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
def test_generated_ordinary_plates_are_valid(index, province, letter):
    plate = plate_for(index, province, letter)
    assert is_valid_plate(plate)
    assert not is_new_energy_plate(plate)
    assert clean_plate(plate) == plate


@settings(max_examples=300, deadline=None)
@given(NEW_ENERGY_INDEXES, st.sampled_from(PROVINCES), st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
def test_generated_new_energy_plates_are_valid(index, province, letter):
    plate = plate_for(index, province, letter, new_energy=True)
    assert is_new_energy_plate(plate)
    assert clean_plate(plate) == plate


SERIAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # I and O included: the validator must refuse them
NOT_I_O = set(SERIAL_CHARS) - set("IO")


def green_plate_by_the_rule(serial: str) -> str | None:
    """The rule as issued, position by position (written apart from the regex):
    the energy the six-character serial names, or None if it is no green plate."""
    if len(serial) != 6:
        return None
    if serial[0] in "DABCEFGHJK" and serial[1] in NOT_I_O and serial[2:].isdigit() and serial[2:].isascii():
        return "pure_electric" if serial[0] in "DABCE" else "non_pure_electric"
    if serial[:5].isdigit() and serial[:5].isascii() and serial[5] in "DF":
        return "pure_electric" if serial[5] == "D" else "non_pure_electric"
    return None


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text(alphabet=SERIAL_CHARS, min_size=5, max_size=7),
)
def test_green_plates_follow_the_rule_for_any_serial(province, office, serial):
    plate = f"{province}{office}{serial}"
    expected = green_plate_by_the_rule(serial)
    assert new_energy_kind(plate) == expected
    assert is_new_energy_plate(plate) == (expected is not None)
    if expected is not None:
        assert is_valid_plate(plate) and clean_plate(plate) == plate


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.sampled_from(ENERGY_LETTERS),
    st.sampled_from(sorted(NOT_I_O)),
    st.integers(min_value=0, max_value=9999),
)
def test_every_small_green_plate_shape_is_valid(province, office, energy, second, number):
    plate = f"{province}{office}{energy}{second}{number:04d}"
    assert is_valid_plate(plate) and is_new_energy_plate(plate)
    assert new_energy_kind(plate) == ("pure_electric" if energy in PURE_ELECTRIC_LETTERS else "non_pure_electric")
    assert clean_plate(f" {plate[0]}{plate[1].lower()}·{plate[2:].lower()} ") == plate


def test_plate_for_is_valid_and_unique_over_a_range():
    ordinary = [plate_for(i) for i in range(5000)]
    green = [plate_for(i, new_energy=True) for i in range(5000)]
    assert all(is_valid_plate(p) and not is_new_energy_plate(p) for p in ordinary)
    assert all(is_new_energy_plate(p) for p in green)
    assert len(set(ordinary)) == len(ordinary)
    assert len(set(green)) == len(green)
    assert len({vin_for(i) for i in range(5000)}) == 5000


# --- Model level: one plate, one vehicle ---------------------------------------------------


@pytest.mark.django_db
def test_vehicle_add_refuses_a_plate_already_registered(member_a, member_b):
    taken = member_a.vehicles.get().plate
    with pytest.raises(AccountsError) as info:
        services.vehicle_add(member=member_b, plate=taken)
    assert info.value.code == "plate_taken"
    assert info.value.fields == {"plate": [str(errors.VEHICLE_PLATE_TAKEN)]}
    assert Vehicle.objects.filter(plate=taken).count() == 1


@pytest.mark.django_db
def test_vehicle_add_refuses_a_plate_taken_in_another_spelling(member_a, member_b):
    services.vehicle_add(member=member_a, plate="粤A·88888")
    with pytest.raises(AccountsError) as info:
        services.vehicle_add(member=member_b, plate="粤ａ 88888")
    assert info.value.fields == {"plate": [str(errors.VEHICLE_PLATE_TAKEN)]}
    assert list(Vehicle.objects.filter(plate="粤A88888").values_list("member", flat=True)) == [member_a.pk]


@pytest.mark.django_db
def test_vehicle_add_refuses_a_vin_already_registered(member_a, member_b):
    taken = member_a.vehicles.get().vin
    with pytest.raises(AccountsError) as info:
        services.vehicle_add(member=member_b, vin=taken.lower())
    assert info.value.code == "vin_taken"
    assert info.value.fields == {"vin": [str(errors.VEHICLE_VIN_TAKEN)]}


@pytest.mark.django_db
def test_vehicle_add_stores_normalised_plate_and_vin(member_a):
    vin = vin_for(999_001)
    vehicle = services.vehicle_add(member=member_a, plate="粤ｂ·ｄ１２３４５", vin=vin.lower())
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.vin) == ("粤BD12345", vin)
    vehicle.full_clean()  # the model validators agree with the service


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, field",
    [({"plate": "粤BI2345"}, "plate"), ({"vin": KNOWN_VIN[:8] + "5" + KNOWN_VIN[9:]}, "vin"), ({}, "plate")],
)
def test_vehicle_add_field_errors(member_a, kwargs, field):
    with pytest.raises(AccountsError) as info:
        services.vehicle_add(member=member_a, **kwargs)
    assert field in info.value.fields
    assert member_a.vehicles.count() == 1
