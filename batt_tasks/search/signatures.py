"""The DSL's signatures, read from its annotations: which call can feed which argument."""

import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from batt_tasks.dsl import PRIMITIVES
from batt_tasks.dsl.types import Grid


@dataclass(frozen=True)
class Signature:
    name: str
    parameters: tuple[Any, ...]
    returns: Any


@cache
def signatures() -> dict[str, Signature]:
    """Every callable primitive's parameter and return types."""
    found: dict[str, Signature] = {}
    for name, value in PRIMITIVES.items():
        if not callable(value):
            continue
        hints = typing.get_type_hints(value)
        returns = hints.pop("return", None)
        found[name] = Signature(name, tuple(hints.values()), returns)
    return found


def accepts(declared: Any, given: Any) -> bool:
    """Whether a value of type `given` may be passed where `declared` is annotated (unions included)."""
    if declared == given or declared is Any:
        return True
    return typing.get_origin(declared) in (typing.Union, types.UnionType) and given in typing.get_args(declared)


def grid_transforms(extra: tuple[Any, ...] = ()) -> list[str]:
    """Primitives that take a Grid (then the `extra` parameter types) and can return a Grid."""
    wanted = (Grid, *extra)
    return sorted(
        s.name
        for s in signatures().values()
        if accepts(s.returns, Grid)
        and len(s.parameters) == len(wanted)
        and all(accepts(declared, given) for declared, given in zip(s.parameters, wanted, strict=True))
    )


@cache
def same_signature(name: str) -> tuple[str, ...]:
    """Other primitives with exactly this one's parameter and return types: candidates for a function swap."""
    own = signatures().get(name)
    if own is None:
        return ()
    return tuple(
        sorted(
            s.name
            for s in signatures().values()
            if s.name != name and s.parameters == own.parameters and s.returns == own.returns
        )
    )
