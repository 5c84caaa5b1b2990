"""GB 11643 check digits and 学籍号 forms, including the property the issue asks for: any
single-digit change or adjacent swap of a valid ID is caught."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.ids import (
    birth_date_of,
    check_char,
    gender_of,
    is_valid_national_id,
    is_valid_student_no,
    make_national_id,
)
from shared.ingest.checks import ymd_to_dates

regions = st.sampled_from(["310112", "310101", "110105", "440305", "510107"])
births = st.dates(min_value=date(1950, 1, 1), max_value=date(2024, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    return make_national_id(draw(regions), draw(births), draw(sequences))


def test_known_id_from_the_standard_is_valid() -> None:
    # Given the worked example of GB 11643-1999 (11010519491231002X)
    # Then its check character is X and the ID is valid
    assert check_char("11010519491231002") == "X"
    assert is_valid_national_id("11010519491231002X")
    assert is_valid_national_id("11010519491231002x")  # lowercase x accepted as X


@given(valid_ids())
def test_generated_ids_are_valid(national_id: str) -> None:
    assert is_valid_national_id(national_id)
    assert is_valid_student_no("G" + national_id)


@given(valid_ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_caught(national_id: str, position: int, delta: int) -> None:
    # Given a valid ID, when one of its 17 digits changes to any other digit
    changed = str((int(national_id[position]) + delta) % 10)
    mutated = national_id[:position] + changed + national_id[position + 1 :]
    # Then the ID is no longer valid (check digit or birth date catches it)
    assert not is_valid_national_id(mutated)
    assert not is_valid_student_no("G" + mutated)


@given(valid_ids(), st.integers(min_value=0, max_value=16))
def test_any_adjacent_swap_is_caught(national_id: str, position: int) -> None:
    # Given a valid ID, when two different adjacent characters swap (the check char included)
    a, b = national_id[position], national_id[position + 1]
    assume(a != b)
    swapped = national_id[:position] + b + a + national_id[position + 2 :]
    # Then the swap is caught
    assert not is_valid_national_id(swapped)


@given(valid_ids())
def test_a_wrong_check_character_is_caught(national_id: str) -> None:
    for wrong in "0123456789X":
        if wrong != national_id[-1]:
            assert not is_valid_national_id(national_id[:-1] + wrong)


def test_birth_date_and_gender_come_from_the_id() -> None:
    boy = make_national_id("310112", date(2012, 2, 29), 11)
    girl = make_national_id("310112", date(2012, 2, 29), 12)
    assert birth_date_of(boy) == date(2012, 2, 29)
    assert gender_of(boy) == "男"
    assert gender_of(girl) == "女"


def test_an_id_with_an_impossible_birth_date_is_invalid() -> None:
    first17 = "31011220230229001"  # 2023 is not a leap year
    assert birth_date_of(first17 + check_char(first17)) is None
    assert not is_valid_national_id(first17 + check_char(first17))


def test_student_number_forms() -> None:
    national_id = make_national_id("310112", date(2014, 5, 6), 21)
    assert is_valid_student_no("G" + national_id)
    assert is_valid_student_no("g" + national_id.lower())
    assert is_valid_student_no("J" + national_id[:-1] + "7")  # J: ID-shaped, no check digit
    assert is_valid_student_no("L2024310112000000AB")
    assert not is_valid_student_no(national_id)  # the bare ID is not a 学籍号
    assert not is_valid_student_no("G" + national_id[:-1])  # 18 characters
    assert not is_valid_student_no("X" + national_id)


@given(
    st.lists(
        st.tuples(st.integers(900, 2300), st.integers(-1, 14), st.integers(-1, 33)),
        min_size=1,
        max_size=50,
    )
)
def test_vectorized_calendar_agrees_with_python(triples: list[tuple[int, int, int]]) -> None:
    # The engine turns (year, month, day) columns into dates with integer arithmetic; it must
    # agree with Python's calendar on every triple, impossible ones included.
    y, m, d = (np.array(column, dtype=np.int64) for column in zip(*triples, strict=True))
    days = ymd_to_dates(y, m, d)
    for (year, month, day), value in zip(triples, days, strict=True):
        try:
            expected = date(year, month, day) if year >= 1000 else None
        except ValueError:
            expected = None
        got = None if np.isnat(value) else value.astype(object)
        assert got == expected, (year, month, day)
