"""Hand-checked cases for batt_tasks.dsl.colour."""

import pytest

from batt_tasks.dsl import colour
from batt_tasks.dsl.colour import (
    cellwise,
    color,
    colorcount,
    cover,
    fill,
    index,
    leastcolor,
    mapcolors,
    mostcolor,
    move,
    numcolors,
    ofcolor,
    paint,
    palette,
    recolor,
    replace,
    switch,
    underfill,
    underpaint,
)

G = ((0, 0, 1), (0, 2, 1), (0, 0, 0))  # six 0s, two 1s, one 2
OBJ = frozenset({(3, (0, 0)), (3, (0, 1)), (4, (1, 1))})


def test_palette() -> None:
    assert palette(G) == frozenset({0, 1, 2})
    assert palette(OBJ) == frozenset({3, 4})


def test_numcolors() -> None:
    assert numcolors(G) == 3
    assert numcolors(OBJ) == 2


def test_mostcolor() -> None:
    assert mostcolor(G) == 0
    assert mostcolor(OBJ) == 3
    assert mostcolor(((2, 1),)) == 1  # tie: smaller colour


def test_leastcolor() -> None:
    assert leastcolor(G) == 2
    assert leastcolor(((2, 1, 2, 1),)) == 1
    with pytest.raises(ValueError):
        leastcolor(frozenset())


def test_colorcount() -> None:
    assert colorcount(G, 0) == 6
    assert colorcount(OBJ, 4) == 1
    assert colorcount(G, 9) == 0


def test_color() -> None:
    assert color(frozenset({(5, (0, 0)), (5, (0, 1))})) == 5
    assert color(OBJ) == 3


def test_index() -> None:
    assert index(G, (1, 1)) == 2
    with pytest.raises(IndexError):
        index(G, (3, 0))
    with pytest.raises(IndexError):
        index(G, (-1, 0))


def test_ofcolor() -> None:
    assert ofcolor(G, 1) == frozenset({(0, 2), (1, 2)})
    assert ofcolor(G, 7) == frozenset()


def test_recolor() -> None:
    assert recolor(9, OBJ) == frozenset({(9, (0, 0)), (9, (0, 1)), (9, (1, 1))})
    assert recolor(9, frozenset({(2, 2)})) == frozenset({(9, (2, 2))})


def test_replace() -> None:
    assert replace(G, 0, 7) == ((7, 7, 1), (7, 2, 1), (7, 7, 7))


def test_switch() -> None:
    assert switch(((1, 2, 3),), 1, 2) == ((2, 1, 3),)


def test_mapcolors() -> None:
    """Every pair is applied at once."""
    assert mapcolors(((1, 2, 3),), ((1, 2), (2, 1))) == ((2, 1, 3),)  # a swap, not two replaces
    assert mapcolors(((1, 2, 3),), ((1, 2), (2, 3), (3, 1))) == ((2, 3, 1),)
    assert mapcolors(((1, 2, 3),), ()) == ((1, 2, 3),)


def test_fill() -> None:
    assert fill(G, 5, frozenset({(0, 0), (2, 2), (9, 9), (-1, 0)})) == ((5, 0, 1), (0, 2, 1), (0, 0, 5))
    assert fill(G, 5, frozenset({(8, (1, 1))})) == ((0, 0, 1), (0, 5, 1), (0, 0, 0))


def test_underfill() -> None:
    assert underfill(G, 5, frozenset({(0, 1), (0, 2)})) == ((0, 5, 1), (0, 2, 1), (0, 0, 0))


def test_paint() -> None:
    assert paint(G, OBJ) == ((3, 3, 1), (0, 4, 1), (0, 0, 0))
    assert paint(G, frozenset({(6, (5, 5))})) == G


def test_underpaint() -> None:
    assert underpaint(G, frozenset({(6, (1, 1)), (6, (1, 0))})) == ((0, 0, 1), (6, 2, 1), (0, 0, 0))


def test_cover() -> None:
    assert cover(G, frozenset({(1, 2), (0, 2)})) == ((0, 0, 0), (0, 2, 0), (0, 0, 0))


def test_move() -> None:
    two = frozenset({(2, (1, 1))})
    assert move(G, two, (1, -1)) == ((0, 0, 1), (0, 0, 1), (2, 0, 0))


def test_cellwise() -> None:
    a = ((1, 2), (3, 4))
    b = ((1, 0), (3, 0))
    assert cellwise(a, b, 9) == ((1, 9), (3, 9))
    with pytest.raises(ValueError):
        cellwise(a, ((1, 2),), 0)


def test_every_public_function_has_a_test() -> None:
    missing = [name for name in colour.__all__ if f"test_{name}" not in globals()]
    assert not missing
