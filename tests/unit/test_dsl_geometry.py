"""Hand-checked cases for batt_tasks.dsl.geometry."""

import pytest

from batt_tasks.dsl import geometry
from batt_tasks.dsl.geometry import (
    center,
    centerofmass,
    cmirror,
    corners,
    dmirror,
    gravitate,
    hmatching,
    hmirror,
    hperiod,
    leftmost,
    llcorner,
    lowermost,
    lrcorner,
    manhattan,
    normalize,
    position,
    rightmost,
    rot90,
    rot180,
    rot270,
    shift,
    toivec,
    tojvec,
    ulcorner,
    uppermost,
    urcorner,
    vmatching,
    vmirror,
    vperiod,
)

G = ((1, 2), (3, 4))
R = ((1, 2, 3), (4, 5, 6))  # 2 x 3
# An L-shaped object whose bounding box is rows 1..2, columns 5..6:
#   row 1: 1 .      (1 at (1, 5))
#   row 2: 2 3      (2 at (2, 5), 3 at (2, 6))
L_OBJ = frozenset({(1, (1, 5)), (2, (2, 5)), (3, (2, 6))})
L_IDX = frozenset({(1, 5), (2, 5), (2, 6)})


def test_rot90() -> None:
    assert rot90(G) == ((3, 1), (4, 2))
    assert rot90(R) == ((4, 1), (5, 2), (6, 3))
    # box turns in place: 2 . / 2 3 turned clockwise gives 2 1 / 3 . at the same corner
    assert rot90(L_OBJ) == frozenset({(2, (1, 5)), (1, (1, 6)), (3, (2, 5))})
    assert rot90(frozenset()) == frozenset()


def test_rot180() -> None:
    assert rot180(G) == ((4, 3), (2, 1))
    assert rot180(L_OBJ) == frozenset({(3, (1, 5)), (2, (1, 6)), (1, (2, 6))})


def test_rot270() -> None:
    assert rot270(G) == ((2, 4), (1, 3))
    assert rot270(R) == ((3, 6), (2, 5), (1, 4))
    # X . / X X turned counter-clockwise gives . X / X X
    assert rot270(L_IDX) == frozenset({(1, 6), (2, 5), (2, 6)})


def test_hmirror() -> None:
    assert hmirror(G) == ((3, 4), (1, 2))
    assert hmirror(L_OBJ) == frozenset({(2, (1, 5)), (3, (1, 6)), (1, (2, 5))})
    assert hmirror(L_IDX) == frozenset({(1, 5), (1, 6), (2, 5)})


def test_vmirror() -> None:
    assert vmirror(G) == ((2, 1), (4, 3))
    assert vmirror(L_OBJ) == frozenset({(1, (1, 6)), (2, (2, 6)), (3, (2, 5))})


def test_dmirror() -> None:
    assert dmirror(G) == ((1, 3), (2, 4))
    assert dmirror(R) == ((1, 4), (2, 5), (3, 6))
    assert dmirror(L_OBJ) == frozenset({(1, (1, 5)), (2, (1, 6)), (3, (2, 6))})


def test_cmirror() -> None:
    assert cmirror(G) == ((4, 2), (3, 1))
    assert cmirror(R) == ((6, 3), (5, 2), (4, 1))
    assert cmirror(L_IDX) == frozenset({(1, 5), (2, 5), (2, 6)})
    assert cmirror(L_OBJ) == frozenset({(3, (1, 5)), (2, (2, 5)), (1, (2, 6))})


def test_shift() -> None:
    assert shift(L_IDX, (1, -5)) == frozenset({(2, 0), (3, 0), (3, 1)})
    assert shift(frozenset({(7, (0, 0))}), (2, 3)) == frozenset({(7, (2, 3))})
    assert shift(frozenset(), (1, 1)) == frozenset()


def test_normalize() -> None:
    assert normalize(L_OBJ) == frozenset({(1, (0, 0)), (2, (1, 0)), (3, (1, 1))})
    assert normalize(frozenset()) == frozenset()


def test_uppermost() -> None:
    assert uppermost(L_OBJ) == 1
    with pytest.raises(ValueError):
        uppermost(frozenset())


def test_lowermost() -> None:
    assert lowermost(L_IDX) == 2


def test_leftmost() -> None:
    assert leftmost(L_OBJ) == 5


def test_rightmost() -> None:
    assert rightmost(L_IDX) == 6


def test_ulcorner() -> None:
    assert ulcorner(L_OBJ) == (1, 5)
    with pytest.raises(ValueError):
        ulcorner(frozenset())


def test_urcorner() -> None:
    assert urcorner(L_IDX) == (1, 6)


def test_llcorner() -> None:
    assert llcorner(L_IDX) == (2, 5)


def test_lrcorner() -> None:
    assert lrcorner(L_OBJ) == (2, 6)


def test_corners() -> None:
    assert corners(L_IDX) == frozenset({(1, 5), (1, 6), (2, 5), (2, 6)})
    assert corners(frozenset({(3, 3)})) == frozenset({(3, 3)})


def test_center() -> None:
    assert center(frozenset({(0, 0), (2, 4)})) == (1, 2)
    assert center(frozenset({(0, 0), (1, 1)})) == (1, 1)


def test_centerofmass() -> None:
    assert centerofmass(frozenset({(0, 0), (0, 2), (3, 1)})) == (1, 1)


def test_position() -> None:
    a = frozenset({(0, 0)})
    assert position(a, frozenset({(0, 5)})) == (0, 1)
    assert position(a, frozenset({(3, -2)})) == (1, -1)
    assert position(a, a) == (0, 0)


def test_toivec() -> None:
    assert toivec(3) == (3, 0)


def test_tojvec() -> None:
    assert tojvec(-2) == (0, -2)


def test_manhattan() -> None:
    assert manhattan(frozenset({(0, 0), (5, 5)}), frozenset({(2, 1), (9, 9)})) == 3
    assert manhattan(L_OBJ, L_IDX) == 0


def test_hmatching() -> None:
    assert hmatching(frozenset({(1, 0)}), L_IDX)
    assert not hmatching(frozenset({(0, 5)}), L_IDX)


def test_vmatching() -> None:
    assert vmatching(frozenset({(9, 6)}), L_OBJ)
    assert not vmatching(frozenset({(1, 0)}), L_OBJ)


def test_gravitate() -> None:
    dot = frozenset({(0, 0)})
    # same row: slide right until next to (0, 5), i.e. to (0, 4)
    assert gravitate(dot, frozenset({(0, 5)})) == (0, 4)
    # no common row: slide down until just above (5, 0)
    assert gravitate(dot, frozenset({(5, 0), (5, 1)})) == (4, 0)
    assert gravitate(dot, frozenset({(0, 1)})) == (0, 0)


def test_hperiod() -> None:
    stripes = frozenset({(1, (0, 0)), (2, (0, 1)), (1, (0, 2)), (2, (0, 3))})
    assert hperiod(stripes) == 2
    assert hperiod(frozenset({(1, (0, 0)), (2, (0, 1)), (3, (0, 2))})) == 3


def test_vperiod() -> None:
    column = frozenset({(5, (2, 0)), (6, (3, 0)), (7, (4, 0)), (5, (5, 0))})
    assert vperiod(column) == 3


def test_every_public_function_has_a_test() -> None:
    missing = [name for name in geometry.__all__ if f"test_{name}" not in globals()]
    assert not missing
