import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.core.errors import InvalidInput
from onewindow.core.identifiers import (
    USCC_CHARSET,
    credit_code_check_char,
    id_number_check_char,
    validate_credit_code,
    validate_division_code,
    validate_id_number,
    validate_phone,
)
from onewindow.core.personal import mask_id_number, mask_phone


def test_published_examples_pass() -> None:
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"  # stored upper-case
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1101051949123100", "18 位"),
        ("110105194912310021", "校验位"),
        ("11010519491331002X", "出生日期"),
        ("11010530001231002X", "出生日期"),
        ("1101051949123100AX", "前 17 位"),
    ],
)
def test_bad_id_numbers_name_the_field_and_the_fix(value: str, words: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_id_number(value, today=dt.date(2026, 11, 28))
    assert exc.value.field == "id_number"
    assert words in exc.value.message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("91350100M000100Y4", "18 位"),
        ("91350100M000100Y44", "校验位"),
        ("91350100M0001O0Y43", "不允许的字符"),
        ("9135A100M000100Y43", "行政区划"),
    ],
)
def test_bad_credit_codes(value: str, words: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_credit_code(value)
    assert exc.value.field == "credit_code"
    assert words in exc.value.message


def test_phone_and_division_code() -> None:
    assert validate_phone("138 1234 5678") == "13812345678"
    assert validate_phone("+8613812345678") == "13812345678"
    for bad in ("12812345678", "1381234567", "abc"):
        with pytest.raises(InvalidInput, match="手机号码"):
            validate_phone(bad)
    assert validate_division_code("610799001000") == "610799001000"
    with pytest.raises(InvalidInput, match="12 位"):
        validate_division_code("610799")


def test_masking_hides_birth_digits() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert "19491231" not in mask_id_number("11010519491231002X")
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


digits17 = st.text(alphabet="0123456789", min_size=3, max_size=3)


@given(
    area=st.sampled_from(["110105", "610799", "440305"]),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)),
    seq=st.integers(0, 999),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_every_single_digit_error_in_an_id_number_is_caught(area, born, seq, position, delta):  # type: ignore[no-untyped-def]
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    good = first17 + id_number_check_char(first17)
    assert validate_id_number(good, today=dt.date(2026, 11, 28)) == good
    wrong = list(good)
    wrong[position] = str((int(wrong[position]) + delta) % 10)
    with pytest.raises(InvalidInput):
        validate_id_number("".join(wrong), today=dt.date(2026, 11, 28))


@given(
    body=st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9),
    position=st.integers(0, 16),
    delta=st.integers(1, 30),
)
def test_every_single_character_error_in_a_credit_code_is_caught(body, position, delta):  # type: ignore[no-untyped-def]
    first17 = "91610799" + body
    good = first17 + credit_code_check_char(first17)
    assert validate_credit_code(good) == good
    wrong = list(good)
    if 2 <= position <= 7:
        wrong[position] = str((int(wrong[position]) + delta) % 10)
        if wrong[position] == good[position]:
            return
    else:
        wrong[position] = USCC_CHARSET[(USCC_CHARSET.index(wrong[position]) + delta) % 31]
    with pytest.raises(InvalidInput):
        validate_credit_code("".join(wrong))
