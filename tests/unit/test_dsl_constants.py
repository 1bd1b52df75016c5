"""Hand-checked values of the DSL's named constants."""

from batt_tasks.dsl import constants
from batt_tasks.dsl.constants import *  # noqa: F403

EXPECTED = {
    "ZERO": 0,
    "ONE": 1,
    "TWO": 2,
    "THREE": 3,
    "FOUR": 4,
    "FIVE": 5,
    "SIX": 6,
    "SEVEN": 7,
    "EIGHT": 8,
    "NINE": 9,
    "TEN": 10,
    "NEG_ONE": -1,
    "NEG_TWO": -2,
    "T": True,
    "F": False,
    "BLACK": 0,
    "BLUE": 1,
    "RED": 2,
    "GREEN": 3,
    "YELLOW": 4,
    "GRAY": 5,
    "MAGENTA": 6,
    "ORANGE": 7,
    "CYAN": 8,
    "MAROON": 9,
    "ORIGIN": (0, 0),
    "UNITY": (1, 1),
    "NEG_UNITY": (-1, -1),
    "DOWN": (1, 0),
    "RIGHT": (0, 1),
    "UP": (-1, 0),
    "LEFT": (0, -1),
    "UP_RIGHT": (-1, 1),
    "DOWN_LEFT": (1, -1),
    "UP_LEFT": (-1, -1),
    "DOWN_RIGHT": (1, 1),
    "ZERO_BY_TWO": (0, 2),
    "TWO_BY_ZERO": (2, 0),
    "ONE_BY_TWO": (1, 2),
    "TWO_BY_ONE": (2, 1),
    "TWO_BY_TWO": (2, 2),
    "THREE_BY_THREE": (3, 3),
}


def test_every_constant_has_its_hand_checked_value() -> None:
    assert set(constants.__all__) == set(EXPECTED)
    for name, value in EXPECTED.items():
        got = getattr(constants, name)
        assert got == value and type(got) is type(value), name


def test_star_import_exposes_constants() -> None:
    assert (UP, DOWN, LEFT, RIGHT) == ((-1, 0), (1, 0), (0, -1), (0, 1))  # noqa: F405
    assert T is True and F is False  # noqa: F405
    assert MAROON == 9 and BLACK == 0  # noqa: F405


def test_constants_are_annotated() -> None:
    hints = constants.__annotations__
    assert set(EXPECTED) <= set(hints)
