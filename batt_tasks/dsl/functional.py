"""Higher-order helpers: building functions from functions, and mapping or filtering containers."""

from typing import Any

from .types import Boolean, Container, FrozenSet, Function, Integer, Tuple


def compose(outer: Function, inner: Function) -> Function:
    """Return the function x -> outer(inner(x))."""
    return lambda x: outer(inner(x))


def chain(h: Function, g: Function, f: Function) -> Function:
    """Return the function x -> h(g(f(x)))."""
    return lambda x: h(g(f(x)))


def fork(outer: Function, a: Function, b: Function) -> Function:
    """Return the function x -> outer(a(x), b(x))."""
    return lambda x: outer(a(x), b(x))


def rbind(function: Function, fixed: Any) -> Function:
    """Return function with its last argument fixed: (*args) -> function(*args, fixed)."""
    return lambda *args: function(*args, fixed)


def lbind(function: Function, fixed: Any) -> Function:
    """Return function with its first argument fixed: (*args) -> function(fixed, *args)."""
    return lambda *args: function(fixed, *args)


def matcher(function: Function, target: Any) -> Function:
    """Return the predicate x -> function(x) == target."""
    return lambda x: function(x) == target


def power(function: Function, n: Integer) -> Function:
    """Return the function that applies function n times; raises ValueError when n < 0."""
    if n < 0:
        raise ValueError("power needs n >= 0")

    def powered(x: Any) -> Any:
        for _ in range(n):
            x = function(x)
        return x

    return powered


def branch(condition: Boolean, a: Any, b: Any) -> Any:
    """Return a when condition holds, else b."""
    return a if condition else b


def merge(containers: Container) -> Container:
    """Return the items of all inner containers in one container of the outer one's kind."""
    if isinstance(containers, tuple):
        return tuple(item for inner in containers for item in inner)
    return frozenset(item for inner in containers for item in inner)


def apply(function: Function, container: Container) -> Container:
    """Return function applied to each item, in a container of the same kind."""
    if isinstance(container, tuple):
        return tuple(map(function, container))
    return frozenset(map(function, container))


def rapply(functions: Container, value: Any) -> Container:
    """Return each function applied to value, in a container of the functions' kind."""
    if isinstance(functions, tuple):
        return tuple(function(value) for function in functions)
    return frozenset(function(value) for function in functions)


def mapply(function: Function, container: Container) -> Container:
    """Return the merge of function applied to each item."""
    return merge(apply(function, container))


def papply(function: Function, a: Tuple, b: Tuple) -> Tuple:
    """Return function applied to each pair (a[k], b[k]), as long as the shorter input."""
    return tuple(map(function, a, b))


def mpapply(function: Function, a: Tuple, b: Tuple) -> Tuple:
    """Return the merge of function applied to each pair (a[k], b[k])."""
    return tuple(item for result in map(function, a, b) for item in result)


def prapply(function: Function, a: Container, b: Container) -> FrozenSet:
    """Return the frozenset of function(x, y) over every x in a and y in b."""
    return frozenset(function(x, y) for x in a for y in b)


def sfilter(container: Container, condition: Function) -> Container:
    """Return the items satisfying condition, in a container of the same kind."""
    if isinstance(container, tuple):
        return tuple(filter(condition, container))
    return frozenset(filter(condition, container))


def mfilter(container: Container, function: Function) -> Container:
    """Return the merge of the items satisfying function."""
    return merge(sfilter(container, function))


def extract(container: Container, condition: Function) -> Any:
    """Return the first item satisfying condition; raises ValueError when none does."""
    for item in container:
        if condition(item):
            return item
    raise ValueError("no item satisfies the condition")


__all__ = [
    "apply",
    "branch",
    "chain",
    "compose",
    "extract",
    "fork",
    "lbind",
    "mapply",
    "matcher",
    "merge",
    "mfilter",
    "mpapply",
    "papply",
    "power",
    "prapply",
    "rapply",
    "rbind",
    "sfilter",
]
