"""Integer, pair, boolean and container helpers.

Arithmetic works on integers and on (i, j) pairs: an integer meets a pair element-wise.
"""

from collections import Counter, deque
from collections.abc import Callable
from itertools import product as _cartesian
from typing import Any

from .types import Boolean, Container, FrozenSet, Function, Integer, IntegerPair, IntegerSet, Tuple

Numeric = Integer | IntegerPair


def _lift(a: Numeric, b: Numeric, op: Callable[[int, int], int]) -> Numeric:
    """Return op applied to two integers, or element-wise when either is a pair."""
    if isinstance(a, int):
        if isinstance(b, int):
            return op(a, b)
        return (op(a, b[0]), op(a, b[1]))
    if isinstance(b, int):
        return (op(a[0], b), op(a[1], b))
    return (op(a[0], b[0]), op(a[1], b[1]))


def add(a: Numeric, b: Numeric) -> Numeric:
    """Return a + b (element-wise for pairs)."""
    return _lift(a, b, int.__add__)


def subtract(a: Numeric, b: Numeric) -> Numeric:
    """Return a - b (element-wise for pairs)."""
    return _lift(a, b, int.__sub__)


def multiply(a: Numeric, b: Numeric) -> Numeric:
    """Return a * b (element-wise for pairs)."""
    return _lift(a, b, int.__mul__)


def divide(a: Numeric, b: Numeric) -> Numeric:
    """Return the floor division a // b (element-wise for pairs); raises ZeroDivisionError on 0."""
    return _lift(a, b, int.__floordiv__)


def mod(a: Numeric, b: Numeric) -> Numeric:
    """Return the remainder a % b (element-wise for pairs); raises ZeroDivisionError on 0."""
    return _lift(a, b, int.__mod__)


def _unary(n: Numeric, op: Callable[[int], int]) -> Numeric:
    """Return op applied to an integer, or to each half of a pair."""
    if isinstance(n, int):
        return op(n)
    return (op(n[0]), op(n[1]))


def _sign(n: int) -> int:
    """Return -1, 0 or 1 by the sign of n."""
    return (n > 0) - (n < 0)


def _crement(n: int) -> int:
    """Return n moved one step away from zero (zero stays zero)."""
    return n + (n > 0) - (n < 0)


def invert(n: Numeric) -> Numeric:
    """Return -n (element-wise for pairs)."""
    return _unary(n, int.__neg__)


def double(n: Numeric) -> Numeric:
    """Return 2 * n (element-wise for pairs)."""
    return _unary(n, lambda x: x * 2)


def halve(n: Numeric) -> Numeric:
    """Return n // 2 (element-wise for pairs)."""
    return _unary(n, lambda x: x // 2)


def increment(n: Numeric) -> Numeric:
    """Return n + 1 (element-wise for pairs)."""
    return _unary(n, lambda x: x + 1)


def decrement(n: Numeric) -> Numeric:
    """Return n - 1 (element-wise for pairs)."""
    return _unary(n, lambda x: x - 1)


def crement(n: Numeric) -> Numeric:
    """Return n moved one step away from zero, zero unchanged (element-wise for pairs)."""
    return _unary(n, _crement)


def sign(n: Numeric) -> Numeric:
    """Return the sign of n as -1, 0 or 1 (element-wise for pairs)."""
    return _unary(n, _sign)


def absolute(n: Numeric) -> Numeric:
    """Return the absolute value of n (element-wise for pairs)."""
    return _unary(n, abs)


def positive(n: Integer) -> Boolean:
    """Return whether n > 0."""
    return n > 0


def even(n: Integer) -> Boolean:
    """Return whether n is even."""
    return n % 2 == 0


def equality(a: Any, b: Any) -> Boolean:
    """Return whether a == b."""
    return a == b


def greater(a: Integer, b: Integer) -> Boolean:
    """Return whether a > b."""
    return a > b


def both(a: Boolean, b: Boolean) -> Boolean:
    """Return the logical and of a and b."""
    return bool(a and b)


def either(a: Boolean, b: Boolean) -> Boolean:
    """Return the logical or of a and b."""
    return bool(a or b)


def flip(b: Boolean) -> Boolean:
    """Return the logical negation of b."""
    return not b


def identity(x: Any) -> Any:
    """Return x unchanged."""
    return x


def size(container: Container) -> Integer:
    """Return the number of items in container."""
    return len(container)


def first(container: Container) -> Any:
    """Return the first item of container; raises IndexError when empty."""
    if isinstance(container, tuple):
        return container[0]
    for item in container:
        return item
    raise IndexError("first of an empty container")


def last(container: Container) -> Any:
    """Return the last item of container; raises IndexError when empty."""
    if isinstance(container, tuple):
        return container[-1]
    if not container:
        raise IndexError("last of an empty container")
    return deque(container, maxlen=1)[0]


def other(container: Container, value: Any) -> Any:
    """Return the first item of container that differs from value; raises IndexError if none."""
    for item in container:
        if item != value:
            return item
    raise IndexError("no other item")


def combine(a: Container, b: Container) -> Container:
    """Return the union of two frozensets, or the concatenation of two tuples."""
    if isinstance(a, frozenset):
        return a.union(b)
    return a + tuple(b)


def intersection(a: FrozenSet, b: FrozenSet) -> FrozenSet:
    """Return the items in both a and b."""
    return a & b


def difference(a: FrozenSet, b: FrozenSet) -> FrozenSet:
    """Return the items of a that are not in b."""
    return a - b


def dedupe(items: Tuple) -> Tuple:
    """Return items without repeats, keeping first occurrences in order."""
    return tuple(dict.fromkeys(items))


def order(container: Container, key: Function) -> Tuple:
    """Return the items of container as a tuple sorted ascending by key."""
    return tuple(sorted(container, key=key))


def repeat(item: Any, n: Integer) -> Tuple:
    """Return a tuple holding item n times."""
    return (item,) * n


def initset(value: Any) -> FrozenSet:
    """Return the frozenset holding only value."""
    return frozenset((value,))


def insert(value: Any, container: FrozenSet) -> FrozenSet:
    """Return container with value added."""
    return container.union((value,))


def remove(value: Any, container: Container) -> Container:
    """Return container without any item equal to value."""
    if isinstance(container, frozenset):
        return container.difference((value,))
    return tuple(item for item in container if item != value)


def contained(value: Any, container: Container) -> Boolean:
    """Return whether value is an item of container."""
    return value in container


def maximum(container: IntegerSet) -> Integer:
    """Return the largest integer in container, 0 when empty."""
    return max(container, default=0)


def minimum(container: IntegerSet) -> Integer:
    """Return the smallest integer in container, 0 when empty."""
    return min(container, default=0)


def valmax(container: Container, key: Function) -> Integer:
    """Return the largest key value over container, 0 when empty."""
    return max(map(key, container), default=0)


def valmin(container: Container, key: Function) -> Integer:
    """Return the smallest key value over container, 0 when empty."""
    return min(map(key, container), default=0)


def argmax(container: Container, key: Function) -> Any:
    """Return an item of container with the largest key; raises ValueError when empty."""
    return max(container, key=key)


def argmin(container: Container, key: Function) -> Any:
    """Return an item of container with the smallest key; raises ValueError when empty."""
    return min(container, key=key)


def mostcommon(container: Container) -> Any:
    """Return the most frequent item of container; raises ValueError when empty."""
    counts = Counter(container)
    return max(counts, key=counts.__getitem__)


def leastcommon(container: Container) -> Any:
    """Return the least frequent item of container; raises ValueError when empty."""
    counts = Counter(container)
    return min(counts, key=counts.__getitem__)


def interval(start: Integer, stop: Integer, step: Integer) -> Tuple:
    """Return the integers from start up to (not including) stop by step; step 0 raises ValueError."""
    return tuple(range(start, stop, step))


def astuple(a: Integer, b: Integer) -> IntegerPair:
    """Return the pair (a, b)."""
    return (a, b)


def product(a: Container, b: Container) -> FrozenSet:
    """Return the frozenset of all pairs (x, y) with x from a and y from b."""
    return frozenset(_cartesian(a, b))


def pair(a: Tuple, b: Tuple) -> Tuple:
    """Return the tuple of (a[k], b[k]) pairs, as long as the shorter input."""
    return tuple(zip(a, b, strict=False))


def totuple(container: FrozenSet) -> Tuple:
    """Return the items of container as a tuple, sorted when they are comparable."""
    try:
        return tuple(sorted(container))
    except TypeError:
        return tuple(container)


__all__ = [
    "absolute",
    "add",
    "argmax",
    "argmin",
    "astuple",
    "both",
    "combine",
    "contained",
    "crement",
    "decrement",
    "dedupe",
    "difference",
    "divide",
    "double",
    "either",
    "equality",
    "even",
    "first",
    "flip",
    "greater",
    "halve",
    "identity",
    "increment",
    "initset",
    "insert",
    "intersection",
    "interval",
    "invert",
    "last",
    "leastcommon",
    "maximum",
    "minimum",
    "mod",
    "mostcommon",
    "multiply",
    "order",
    "other",
    "pair",
    "positive",
    "product",
    "remove",
    "repeat",
    "sign",
    "size",
    "subtract",
    "totuple",
    "valmax",
    "valmin",
]
