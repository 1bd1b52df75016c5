"""Crops learned from the demos: the subgrid under the one object with the most or fewest of something, or
what a mask hides, or a grid of one colour: the picked object's.

Each demo output must be exactly the subgrid under the object of the grid (by one of the four ways to
cut a grid into objects) whose size, colour count, height or width is the largest (or smallest),
and that object must stand alone at the extreme in every demo and test input: a tie is no choice.
Failing those measures of one object, the traits of batt_tasks/dsl/picks.py, some of which compare it with
the others (how many share its shape, its colours), are tried the same way.

A mask is the cells of one colour, present in every demo and test input: the output is the mask's box as
the picture's symmetries repaint it, or as the smallest tile repeating over the rest does (`maskedpart`).
"""

from collections.abc import Callable, Sequence

from batt_tasks.dsl.colour import numcolors
from batt_tasks.dsl.logic import size
from batt_tasks.dsl.objects import objects
from batt_tasks.dsl.picks import TRAIT_NAMES, pickcolour, pickcrop
from batt_tasks.dsl.sizing import height, subgrid, width
from batt_tasks.dsl.transforms import maskedpart
from batt_tasks.dsl.types import Grid, Object
from batt_tasks.search.enumeration import BOOLEANS

MEASURES: dict[str, Callable[[Object], int]] = {"size": size, "numcolors": numcolors, "height": height, "width": width}
# (univalued, diagonal): one colour per object or several, joined by sides only or also by corners.
CUTS = ((True, False), (True, True), (False, False), (False, True))


def learned_crops(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The first crop expression that reproduces every demo and picks one object in every test input."""
    if any(len(o) * len(o[0]) >= len(i) * len(i[0]) for i, o in pairs):
        return []
    for univalued, diagonal in CUTS:
        for measure in MEASURES:
            for extreme in ("argmax", "argmin"):
                pick = (univalued, diagonal, measure, extreme)
                if all(_crop(i, *pick) == o for i, o in pairs) and all(_crop(i, *pick) for i in tests):
                    cut = f"objects(I, {BOOLEANS[univalued]}, {BOOLEANS[diagonal]}, T)"
                    return [f"subgrid({extreme}({cut}, {measure}), I)"]
    for univalued, diagonal in CUTS:
        for trait, name in enumerate(TRAIT_NAMES):
            for most in (True, False):
                if all(_picked(i, univalued, diagonal, trait, most) == o for i, o in pairs) and all(
                    _picked(i, univalued, diagonal, trait, most) for i in tests
                ):
                    flags = ", ".join(BOOLEANS[flag] for flag in (univalued, diagonal))
                    return [f"pickcrop(I, {flags}, {name}, {BOOLEANS[most]})"]
    return []


def learned_colour_picks(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """A grid of one colour in every demo output's shape, in the colour of the object a trait picks.

    Only where the demo outputs differ in colour: one colour throughout is a constant, the simpler explanation.
    """
    shapes = {(len(o), len(o[0])) for _, o in pairs}
    colours = [{v for row in o for v in row} for _, o in pairs]
    if len(shapes) != 1 or any(len(found) != 1 for found in colours) or len(set.union(*colours)) == 1:
        return []
    (shape,) = shapes
    for univalued, diagonal in CUTS:
        for trait, name in enumerate(TRAIT_NAMES):
            for most in (True, False):
                pick = (univalued, diagonal, trait, most)
                if all(_colour(i, *pick) == o[0][0] for i, o in pairs) and all(
                    _colour(i, *pick) is not None for i in tests
                ):
                    flags = f"{BOOLEANS[univalued]}, {BOOLEANS[diagonal]}"
                    return [f"canvas(pickcolour(I, {flags}, {name}, {BOOLEANS[most]}), {shape!r})"]
    return []


def _colour(grid: Grid, univalued: bool, diagonal: bool, trait: int, most: bool) -> int | None:
    try:
        return pickcolour(grid, univalued, diagonal, trait, most)
    except ValueError:
        return None


def _picked(grid: Grid, univalued: bool, diagonal: bool, trait: int, most: bool) -> Grid | None:
    try:
        return pickcrop(grid, univalued, diagonal, trait, most)
    except ValueError:
        return None


def _crop(grid: Grid, univalued: bool, diagonal: bool, measure: str, extreme: str) -> Grid | None:
    """The subgrid under the object alone at the extreme of the measure (None on a tie or fewer than two objects)."""
    found = list(objects(grid, univalued, diagonal, True))
    if len(found) < 2:
        return None
    values = [MEASURES[measure](obj) for obj in found]
    best = max(values) if extreme == "argmax" else min(values)
    return subgrid(found[values.index(best)], grid) if values.count(best) == 1 else None


def learned_masks(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The first maskedpart expression that reproduces every demo and gives a grid on every test input."""
    if any(len(o) * len(o[0]) >= len(i) * len(i[0]) for i, o in pairs):
        return []
    inputs = [grid for grid, _ in pairs]
    colours = sorted(set.intersection(*({v for row in grid for v in row} for grid in (*inputs, *tests))))
    # Cheap first: the mask's box must have each demo output's shape.
    colours = [colour for colour in colours if all(_box_shape(i, colour) == (len(o), len(o[0])) for i, o in pairs)]
    for tiled in (False, True):
        for colour in colours:
            if all(_unmasked(i, colour, tiled) == o for i, o in pairs) and all(
                _unmasked(i, colour, tiled) for i in tests
            ):
                return [f"maskedpart(I, {colour}, {BOOLEANS[tiled]})"]
    return []


def _box_shape(grid: Grid, colour: int) -> tuple[int, int]:
    rows = [i for i, row in enumerate(grid) if colour in row]
    columns = [j for j in range(len(grid[0])) if any(row[j] == colour for row in grid)]
    return (rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1)


def _unmasked(grid: Grid, colour: int, tiled: bool) -> Grid | None:
    try:
        return maskedpart(grid, colour, tiled)
    except ValueError:
        return None
