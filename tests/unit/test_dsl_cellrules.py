"""Cell rules: each feature's descriptions on a small scene, and cellrule's lookup and its refusal to guess."""

import pytest

from batt_tasks.dsl import PRIMITIVES, cellrules
from batt_tasks.dsl.cellrules import (
    BYBORDER,
    BYBOXES,
    BYCOLOUR,
    BYENCLOSED,
    BYEXTREME,
    BYHOLES,
    BYLINES,
    BYMIRRORS,
    BYPHASE2,
    BYRAYS,
    BYREGION,
    BYSIZE,
    BYSIZERANK,
    BYTWINS,
    FEATURE_NAMES,
    FEATURES,
    OFF_GRID,
    cellrule,
    describe,
)
from batt_tasks.dsl.types import Grid

RING: Grid = (
    (1, 1, 1, 0, 0),
    (1, 0, 1, 0, 0),
    (1, 1, 1, 0, 0),
    (0, 0, 0, 0, 0),
    (0, 0, 0, 0, 2),
)


def test_every_feature_has_its_named_constant_in_order() -> None:
    assert len(FEATURE_NAMES) == len(FEATURES)
    for index, name in enumerate(FEATURE_NAMES):
        assert getattr(cellrules, name) == index
        assert PRIMITIVES[name] == index


def test_descriptions_start_with_the_cell_colour_and_are_integer_tuples() -> None:
    for feature in range(len(FEATURES)):
        described = describe(RING, feature)
        assert [len(row) for row in described] == [5] * 5
        for i, row in enumerate(described):
            for j, description in enumerate(row):
                assert isinstance(description, tuple), FEATURE_NAMES[feature]
                if feature != FEATURE_NAMES.index("BYWINDOW"):
                    assert description[0] == RING[i][j]


def test_feature_examples() -> None:
    assert describe(RING, BYENCLOSED)[1][1] == (0, 1)
    assert describe(RING, BYENCLOSED)[3][0] == (0, 0)
    assert describe(RING, BYSIZE)[0][0] == (1, 8)
    assert describe(RING, BYSIZE)[4][4] == (2, 1)
    assert describe(RING, BYSIZE)[3][0] == (0,)  # the background belongs to no object
    assert describe(RING, BYPHASE2)[3][1] == (0, 1, 1)
    assert describe(RING, BYBOXES)[1][1] == (0, 1)  # inside the ring's box
    assert describe(RING, BYBOXES)[1][3] == (0, 0)
    assert describe(RING, BYMIRRORS)[0][0] == (1, 0, 0, 2)
    assert describe(RING, BYLINES)[4][0] == (0, (2,), (1,))
    # Right: the border; left: nothing; down: the ring (1 at (2, 1)); up: border.
    assert describe(RING, BYRAYS)[1][1] == (0, 1, 1, 1, 1)
    assert describe(RING, BYRAYS)[4][0] == (0, 2, OFF_GRID, OFF_GRID, 1)


def test_object_features_holes_extremes_and_edge_contact() -> None:
    # A 1-ring with two holes (split by a bar of 1s), a lone 2 in a corner, a 3-domino off every edge.
    scene: Grid = (
        (1, 1, 1, 1, 1, 0),
        (1, 0, 1, 0, 1, 0),
        (1, 1, 1, 1, 1, 0),
        (0, 0, 0, 0, 0, 0),
        (0, 3, 3, 0, 0, 0),
        (0, 0, 0, 0, 0, 2),
    )
    assert describe(scene, BYHOLES)[0][0] == (1, 2)
    assert describe(scene, BYHOLES)[4][1] == (3, 0)
    assert describe(scene, BYHOLES)[1][1] == (0,)  # a hole's own cell is background
    assert describe(RING, BYHOLES)[0][0] == (1, 1)
    assert describe(scene, BYEXTREME)[0][0] == (1, 1, 0)  # largest, not smallest
    assert describe(scene, BYEXTREME)[5][5] == (2, 0, 1)
    assert describe(scene, BYEXTREME)[4][2] == (3, 0, 0)
    assert describe(scene, BYBORDER)[0][0] == (1, 1)
    assert describe(scene, BYBORDER)[5][5] == (2, 1)
    assert describe(scene, BYBORDER)[4][1] == (3, 0)
    # The background's regions: the open area around everything is the largest, each hole is a smallest.
    assert describe(scene, BYREGION)[3][0] == (0, 1, 0)
    assert describe(scene, BYREGION)[1][1] == (0, 0, 1)
    assert describe(scene, BYREGION)[5][5] == (2, 1, 1)  # the only region of its colour
    # Object sizes 13, 2 and 1: the ring ranks first, the lone 2 last.
    assert describe(scene, BYSIZERANK)[0][0] == (1, 0)
    assert describe(scene, BYSIZERANK)[4][1] == (3, 1)
    assert describe(scene, BYSIZERANK)[5][5] == (2, 2)
    assert describe(scene, BYSIZERANK)[3][3] == (0,)
    # Two lone cells share a shape; the ring and the domino have none like theirs.
    assert describe(((5, 0, 5, 0), (0, 0, 0, 0), (5, 5, 0, 0)), BYTWINS) == [
        [(5, 1), (0,), (5, 1), (0,)],
        [(0,), (0,), (0,), (0,)],
        [(5, 0), (5, 0), (0,), (0,)],
    ]
    assert describe(scene, BYTWINS)[0][0] == (1, 0)


def test_cellrule_paints_by_description_and_refuses_an_unknown_one() -> None:
    table = (((0,), 4), ((1,), 1), ((2,), 2))
    assert cellrule(RING, BYCOLOUR, table)[0] == (1, 1, 1, 4, 4)
    inside = (((0, 0), 0), ((0, 1), 3), ((1, 0), 1), ((2, 0), 2))
    assert cellrule(RING, BYENCLOSED, inside)[1] == (1, 3, 1, 0, 0)
    with pytest.raises(ValueError, match="no colour"):
        cellrule(RING, BYCOLOUR, (((0,), 4),))
