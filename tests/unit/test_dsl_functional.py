"""Hand-checked cases for batt_tasks.dsl.functional."""

import pytest

from batt_tasks.dsl import functional
from batt_tasks.dsl.functional import (
    apply,
    branch,
    chain,
    compose,
    extract,
    fork,
    lbind,
    mapply,
    matcher,
    merge,
    mfilter,
    mpapply,
    papply,
    power,
    prapply,
    rapply,
    rbind,
    sfilter,
)


def inc(x: int) -> int:
    return x + 1


def dbl(x: int) -> int:
    return x * 2


def test_compose() -> None:
    assert compose(dbl, inc)(3) == 8
    assert compose(inc, dbl)(3) == 7


def test_chain() -> None:
    assert chain(str, dbl, inc)(3) == "8"


def test_fork() -> None:
    assert fork(pow, inc, dbl)(2) == 3**4


def test_rbind() -> None:
    assert rbind(pow, 2)(5) == 25
    assert rbind(lambda a, b, c: (a, b, c), 9)(1, 2) == (1, 2, 9)


def test_lbind() -> None:
    assert lbind(pow, 2)(5) == 32
    assert lbind(lambda a, b, c: (a, b, c), 9)(1, 2) == (9, 1, 2)


def test_matcher() -> None:
    is_three = matcher(len, 3)
    assert is_three((1, 2, 3)) and not is_three(())


def test_power() -> None:
    assert power(dbl, 3)(1) == 8
    assert power(dbl, 0)(5) == 5
    with pytest.raises(ValueError):
        power(dbl, -1)


def test_branch() -> None:
    assert branch(True, 1, 2) == 1 and branch(False, 1, 2) == 2


def test_merge() -> None:
    assert merge(((1, 2), (3,))) == (1, 2, 3)
    assert merge(frozenset({frozenset({1}), frozenset({1, 2})})) == frozenset({1, 2})


def test_apply() -> None:
    assert apply(inc, (1, 2)) == (2, 3)
    assert apply(abs, frozenset({-1, 1})) == frozenset({1})


def test_rapply() -> None:
    assert rapply((inc, dbl), 5) == (6, 10)
    assert rapply(frozenset({inc, dbl}), 1) == frozenset({2})


def test_mapply() -> None:
    assert mapply(lambda x: (x, x), (1, 2)) == (1, 1, 2, 2)
    assert mapply(lambda x: frozenset({x, -x}), frozenset({1, 2})) == frozenset({1, -1, 2, -2})


def test_papply() -> None:
    assert papply(pow, (2, 3), (3, 2, 7)) == (8, 9)


def test_mpapply() -> None:
    assert mpapply(lambda a, b: (a, b), (1, 2), (3, 4)) == (1, 3, 2, 4)


def test_prapply() -> None:
    assert prapply(lambda a, b: a + b, (1, 2), (10, 20)) == frozenset({11, 21, 12, 22})


def test_sfilter() -> None:
    assert sfilter((1, 2, 3, 4), lambda x: x % 2 == 0) == (2, 4)
    assert sfilter(frozenset({1, 2}), lambda x: x > 1) == frozenset({2})


def test_mfilter() -> None:
    assert mfilter(((1,), (2, 3), ()), lambda t: len(t) > 0) == (1, 2, 3)


def test_extract() -> None:
    assert extract((1, 4, 6), lambda x: x > 3) == 4
    with pytest.raises(ValueError):
        extract((1, 2), lambda x: x > 3)


def test_every_public_function_has_a_test() -> None:
    missing = [name for name in functional.__all__ if f"test_{name}" not in globals()]
    assert not missing
