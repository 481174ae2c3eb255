"""Numbers and clock phrases said in words, rewritten as the digits the date rules read."""

import pytest

from mcp_server.nlu.spoken import words_to_digits


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        # one number
        ("five", "5"),
        ("twenty five", "25"),
        ("twenty-five", "25"),
        ("march twenty five", "march 25"),
        ("nineteen", "19"),
        # ordinals
        ("first", "1st"),
        ("second", "2nd"),
        ("third", "3rd"),
        ("eleventh", "11th"),
        ("twenty fifth", "25th"),
        ("twenty second", "22nd"),
        ("thirty first", "31st"),
        ("twelveth july", "12th july"),
        ("the twenty third of march", "the 23rd of march"),
        # an hour and its minutes
        ("seven thirty am", "7:30 am"),
        ("eight forty five am", "8:45 am"),
        ("twelve thirty", "12:30"),
        ("nine oh five", "9:05"),
        ("eight o'clock", "8:00"),
        ("eight o clock", "8:00"),
        # a clock said in hundreds is a 24-hour clock
        ("eight hundred", "08:00"),
        ("five hundred and thirty", "05:30"),
        ("seven hundred and forty five pm", "07:45 pm"),
        ("one thousand three hundred", "13:00"),
        ("one thousand two hundred and thirty pm", "12:30 pm"),
        # years
        ("two thousand seventeen", "2017"),
        ("june fourteenth two thousand and seventeen", "june 14th 2017"),
        ("twenty seventeen", "2017"),
        ("twenty twenty five", "2025"),
        # clock phrases and spans
        ("quarter past nine", "9:15"),
        ("half past six", "6:30"),
        ("ten past nine pm", "9:10 pm"),
        ("a quarter to one", "12:45"),
        ("twenty to five", "4:40"),
        ("half an hour", "30 minutes"),
        ("in half an hour", "in 30 minutes"),
        ("in an hour and a half", "in 90 minutes"),
        ("a quarter of an hour", "15 minutes"),
        ("twelve noon", "noon"),
        ("twelve midnight", "midnight"),
    ],
)
def test_numbers_become_digits(said: str, digits: str) -> None:
    assert words_to_digits(said) == digits


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("tomorrow at 5pm", "tomorrow at 5pm"),
        ("someone at noon", "someone at noon"),
        ("eight and nine", "8 and 9"),  # two numbers: "and" joins only "hundred and thirty"
        ("from ten to five", "from 10 to 5"),  # a span, not ten minutes to five
        ("three to five", "3 to 5"),
        ("twenty to twenty five june", "20 to 25 june"),
        ("a hundred", "a hundred"),
    ],
)
def test_what_is_no_number_or_no_clock_stays_as_said(said: str, kept: str) -> None:
    assert words_to_digits(said) == kept
