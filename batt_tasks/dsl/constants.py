"""Named constants: small integers, booleans, colours and unit offsets."""

from .types import Boolean, Colour, Integer, IntegerPair

ZERO: Integer = 0
ONE: Integer = 1
TWO: Integer = 2
THREE: Integer = 3
FOUR: Integer = 4
FIVE: Integer = 5
SIX: Integer = 6
SEVEN: Integer = 7
EIGHT: Integer = 8
NINE: Integer = 9
TEN: Integer = 10
NEG_ONE: Integer = -1
NEG_TWO: Integer = -2

T: Boolean = True
F: Boolean = False

BLACK: Colour = 0
BLUE: Colour = 1
RED: Colour = 2
GREEN: Colour = 3
YELLOW: Colour = 4
GRAY: Colour = 5
MAGENTA: Colour = 6
ORANGE: Colour = 7
CYAN: Colour = 8
MAROON: Colour = 9

ORIGIN: IntegerPair = (0, 0)
UNITY: IntegerPair = (1, 1)
NEG_UNITY: IntegerPair = (-1, -1)
DOWN: IntegerPair = (1, 0)
RIGHT: IntegerPair = (0, 1)
UP: IntegerPair = (-1, 0)
LEFT: IntegerPair = (0, -1)
UP_RIGHT: IntegerPair = (-1, 1)
DOWN_LEFT: IntegerPair = (1, -1)
UP_LEFT: IntegerPair = (-1, -1)
DOWN_RIGHT: IntegerPair = (1, 1)
ZERO_BY_TWO: IntegerPair = (0, 2)
TWO_BY_ZERO: IntegerPair = (2, 0)
ONE_BY_TWO: IntegerPair = (1, 2)
TWO_BY_ONE: IntegerPair = (2, 1)
TWO_BY_TWO: IntegerPair = (2, 2)
THREE_BY_THREE: IntegerPair = (3, 3)

__all__ = [
    "BLACK",
    "BLUE",
    "CYAN",
    "DOWN",
    "DOWN_LEFT",
    "DOWN_RIGHT",
    "EIGHT",
    "FIVE",
    "FOUR",
    "GRAY",
    "GREEN",
    "LEFT",
    "MAGENTA",
    "MAROON",
    "NEG_ONE",
    "NEG_TWO",
    "NEG_UNITY",
    "NINE",
    "ONE",
    "ONE_BY_TWO",
    "ORANGE",
    "ORIGIN",
    "RED",
    "RIGHT",
    "SEVEN",
    "SIX",
    "TEN",
    "THREE",
    "THREE_BY_THREE",
    "TWO",
    "TWO_BY_ONE",
    "TWO_BY_TWO",
    "TWO_BY_ZERO",
    "UNITY",
    "UP",
    "UP_LEFT",
    "UP_RIGHT",
    "YELLOW",
    "ZERO",
    "ZERO_BY_TWO",
    "F",
    "T",
]
