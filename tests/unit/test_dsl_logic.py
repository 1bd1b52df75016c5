"""Hand-checked cases for batt_tasks.dsl.logic."""

import pytest

from batt_tasks.dsl import logic
from batt_tasks.dsl.logic import (
    absolute,
    add,
    argmax,
    argmin,
    astuple,
    both,
    combine,
    contained,
    crement,
    decrement,
    dedupe,
    difference,
    divide,
    double,
    either,
    equality,
    even,
    first,
    flip,
    greater,
    halve,
    identity,
    increment,
    initset,
    insert,
    intersection,
    interval,
    invert,
    last,
    leastcommon,
    maximum,
    minimum,
    mod,
    mostcommon,
    multiply,
    order,
    other,
    pair,
    positive,
    product,
    remove,
    repeat,
    sign,
    size,
    subtract,
    totuple,
    valmax,
    valmin,
)


def test_add() -> None:
    assert add(2, 3) == 5
    assert add((1, 2), 3) == (4, 5)
    assert add(3, (1, 2)) == (4, 5)
    assert add((1, 2), (10, 20)) == (11, 22)


def test_subtract() -> None:
    assert subtract(2, 5) == -3
    assert subtract((5, 5), (1, 2)) == (4, 3)
    assert subtract(10, (1, 2)) == (9, 8)


def test_multiply() -> None:
    assert multiply(3, 4) == 12
    assert multiply((1, -2), 3) == (3, -6)
    assert multiply((2, 3), (4, 5)) == (8, 15)


def test_divide() -> None:
    assert divide(7, 2) == 3
    assert divide(-7, 2) == -4
    assert divide((9, 4), 2) == (4, 2)
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


def test_mod() -> None:
    assert mod(7, 3) == 1
    assert mod((7, 8), 3) == (1, 2)
    with pytest.raises(ZeroDivisionError):
        mod(1, 0)


def test_invert() -> None:
    assert invert(3) == -3
    assert invert((1, -2)) == (-1, 2)


def test_double() -> None:
    assert double(4) == 8
    assert double((1, 2)) == (2, 4)


def test_halve() -> None:
    assert halve(7) == 3
    assert halve((4, 5)) == (2, 2)


def test_increment() -> None:
    assert increment(0) == 1
    assert increment((1, 2)) == (2, 3)


def test_decrement() -> None:
    assert decrement(0) == -1
    assert decrement((1, 2)) == (0, 1)


def test_crement() -> None:
    assert crement(3) == 4
    assert crement(-3) == -4
    assert crement(0) == 0
    assert crement((2, -1)) == (3, -2)


def test_sign() -> None:
    assert (sign(5), sign(-5), sign(0)) == (1, -1, 0)
    assert sign((-3, 4)) == (-1, 1)


def test_absolute() -> None:
    assert absolute(-4) == 4
    assert absolute((-1, 2)) == (1, 2)


def test_positive() -> None:
    assert positive(1) and not positive(0) and not positive(-1)


def test_even() -> None:
    assert even(0) and even(4) and not even(3) and even(-2)


def test_equality() -> None:
    assert equality((1, 2), (1, 2)) and not equality(1, 2)


def test_greater() -> None:
    assert greater(3, 2) and not greater(2, 2)


def test_both() -> None:
    assert both(True, True) is True and both(True, False) is False


def test_either() -> None:
    assert either(False, True) is True and either(False, False) is False


def test_flip() -> None:
    assert flip(True) is False and flip(False) is True


def test_identity() -> None:
    grid = ((1,),)
    assert identity(grid) is grid


def test_size() -> None:
    assert size((1, 2, 3)) == 3
    assert size(frozenset()) == 0


def test_first() -> None:
    assert first((4, 5, 6)) == 4
    assert first(frozenset({7})) == 7
    with pytest.raises(IndexError):
        first(frozenset())


def test_last() -> None:
    assert last((4, 5, 6)) == 6
    assert last(frozenset({7})) == 7
    with pytest.raises(IndexError):
        last(())


def test_other() -> None:
    assert other((1, 2), 1) == 2
    assert other(frozenset({1, 2}), 2) == 1
    with pytest.raises(IndexError):
        other((1, 1), 1)


def test_combine() -> None:
    assert combine(frozenset({1}), frozenset({2})) == frozenset({1, 2})
    assert combine((1, 2), (2, 3)) == (1, 2, 2, 3)


def test_intersection() -> None:
    assert intersection(frozenset({1, 2, 3}), frozenset({2, 3, 4})) == frozenset({2, 3})


def test_difference() -> None:
    assert difference(frozenset({1, 2, 3}), frozenset({2})) == frozenset({1, 3})


def test_dedupe() -> None:
    assert dedupe((3, 1, 3, 2, 1)) == (3, 1, 2)


def test_order() -> None:
    assert order(frozenset({3, 1, 2}), identity) == (1, 2, 3)
    assert order((1, -3, 2), abs) == (1, 2, -3)


def test_repeat() -> None:
    assert repeat((1, 2), 3) == ((1, 2), (1, 2), (1, 2))
    assert repeat(5, 0) == ()


def test_initset() -> None:
    assert initset((0, 0)) == frozenset({(0, 0)})


def test_insert() -> None:
    assert insert(3, frozenset({1})) == frozenset({1, 3})


def test_remove() -> None:
    assert remove(2, (1, 2, 3, 2)) == (1, 3)
    assert remove(2, frozenset({1, 2})) == frozenset({1})


def test_contained() -> None:
    assert contained(2, (1, 2)) and not contained(5, frozenset({1}))


def test_maximum() -> None:
    assert maximum(frozenset({3, 9, 1})) == 9
    assert maximum(frozenset()) == 0


def test_minimum() -> None:
    assert minimum((3, 9, 1)) == 1
    assert minimum(()) == 0


def test_valmax() -> None:
    assert valmax(((1, 2), (1, 2, 3), ()), len) == 3
    assert valmax((), len) == 0


def test_valmin() -> None:
    assert valmin(((1, 2), (1, 2, 3)), len) == 2


def test_argmax() -> None:
    assert argmax(((1, 2), (1, 2, 3), ()), len) == (1, 2, 3)
    with pytest.raises(ValueError):
        argmax((), len)


def test_argmin() -> None:
    assert argmin(frozenset({-5, 2, 3}), abs) == 2


def test_mostcommon() -> None:
    assert mostcommon((1, 2, 2, 3, 2)) == 2


def test_leastcommon() -> None:
    assert leastcommon((1, 2, 2, 3, 3)) == 1


def test_interval() -> None:
    assert interval(0, 5, 2) == (0, 2, 4)
    assert interval(3, 0, -1) == (3, 2, 1)
    with pytest.raises(ValueError):
        interval(0, 3, 0)


def test_astuple() -> None:
    assert astuple(2, 3) == (2, 3)


def test_product() -> None:
    assert product((1, 2), frozenset({5})) == frozenset({(1, 5), (2, 5)})


def test_pair() -> None:
    assert pair((1, 2, 3), (4, 5)) == ((1, 4), (2, 5))


def test_totuple() -> None:
    assert totuple(frozenset({(1, 0), (0, 2), (0, 1)})) == ((0, 1), (0, 2), (1, 0))


def test_every_public_function_has_a_test() -> None:
    missing = [name for name in logic.__all__ if f"test_{name}" not in globals()]
    assert not missing
