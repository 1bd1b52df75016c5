"""Picking one object by what sets it apart: the subgrid under the object alone at the top (or bottom) of a
trait, or its colour.

A trait may look at the other objects too (how many share its shape, or its colours), which a measure of one
object cannot. `pickcrop` errs on a tie: when two objects that look different share the extreme there is no
choice to make (twins at the extreme crop to the same grid, so they are one answer). The
search learns which cut, trait and end (batt_tasks/search/crops.py); here they are only applied.
"""

from collections import Counter
from collections.abc import Callable

from .colour import mostcolor
from .geometry import _bounds, normalize
from .objects import objects, toindices
from .sizing import subgrid
from .types import Boolean, Grid, Integer, Object

# Which trait a pick reads, by name, for programs to say `pickcrop(I, T, F, PICKTWINS, T)`: TRAITS' order.
TRAIT_NAMES = (
    "PICKCELLS", "PICKCOLOURS", "PICKHEIGHT", "PICKWIDTH", "PICKAREA", "PICKGAPS", "PICKSYMMETRY", "PICKTWINS",
    "PICKKIN", "PICKSPECKS",
)  # fmt: skip
(
    PICKCELLS, PICKCOLOURS, PICKHEIGHT, PICKWIDTH, PICKAREA, PICKGAPS, PICKSYMMETRY, PICKTWINS, PICKKIN, PICKSPECKS,
) = range(10)  # fmt: skip

__all__ = [*TRAIT_NAMES, "pickcolour", "pickcrop"]

# (the object, every object of the cut) -> the trait's value
Trait = Callable[[Object, list[Object]], int]


def _box(obj: Object) -> tuple[int, int]:
    top, left, bottom, right = _bounds(toindices(obj))
    return bottom - top + 1, right - left + 1


def _symmetries(obj: Object) -> int:
    """How many of the mirror images of the object (across its box's middle row, column and diagonal) it equals."""
    cells = {(i, j): v for v, (i, j) in obj}
    height, width = _box(obj)
    top = min(i for i, _ in cells)
    left = min(j for _, j in cells)
    local = {(i - top, j - left): v for (i, j), v in cells.items()}
    images = (
        {(height - 1 - i, j): v for (i, j), v in local.items()},
        {(i, width - 1 - j): v for (i, j), v in local.items()},
        {(j, i): v for (i, j), v in local.items()},
    )
    return sum(image == local for image in images)


def _look(obj: Object) -> tuple[frozenset[tuple[int, int]], frozenset[int]]:
    return normalize(toindices(obj)), frozenset(v for v, _ in obj)


TRAITS: tuple[Trait, ...] = (
    lambda obj, _: len(obj),
    lambda obj, _: len({v for v, _ in obj}),
    lambda obj, _: _box(obj)[0],
    lambda obj, _: _box(obj)[1],
    lambda obj, _: _box(obj)[0] * _box(obj)[1],
    lambda obj, _: _box(obj)[0] * _box(obj)[1] - len(obj),
    lambda obj, _: _symmetries(obj),
    lambda obj, every: Counter(_look(other) for other in every)[_look(obj)],
    lambda obj, every: sum(_look(other)[1] == _look(obj)[1] for other in every),
    lambda obj, _: len(obj) - max(Counter(v for v, _ in obj).values()),
)


def _extremes(grid: Grid, univalued: Boolean, diagonal: Boolean, trait: Integer, most: Boolean) -> list[Object]:
    """The objects (of the cut, background left out) with the most (or fewest) of the trait."""
    every = sorted(objects(grid, univalued, diagonal, True), key=lambda obj: sorted(toindices(obj)))
    if len(every) < 2:
        raise ValueError("no choice among fewer than two objects")
    values = [TRAITS[trait](obj, every) for obj in every]
    best = max(values) if most else min(values)
    return [obj for obj, value in zip(every, values, strict=True) if value == best]


def pickcrop(grid: Grid, univalued: Boolean, diagonal: Boolean, trait: Integer, most: Boolean) -> Grid:
    """Return the subgrid under the one object (of the cut univalued/diagonal, background left out) with the
    most (or fewest) of the trait; ValueError on a tie or with fewer than two objects."""
    crops = {subgrid(obj, grid) for obj in _extremes(grid, univalued, diagonal, trait, most)}
    if len(crops) != 1:  # objects tied at the extreme are no choice, unless they look the same
        raise ValueError("two different objects share the extreme")
    return crops.pop()


def pickcolour(grid: Grid, univalued: Boolean, diagonal: Boolean, trait: Integer, most: Boolean) -> Integer:
    """Return the commonest colour of the object with the most (or fewest) of the trait, as `pickcrop` picks it;
    ValueError when objects tied at the extreme differ in it."""
    colours = {mostcolor(obj) for obj in _extremes(grid, univalued, diagonal, trait, most)}
    if len(colours) != 1:
        raise ValueError("objects of different colours share the extreme")
    return colours.pop()
