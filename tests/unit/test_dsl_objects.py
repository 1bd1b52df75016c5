"""Hand-checked cases for batt_tasks.dsl.objects."""

import importlib

from batt_tasks.dsl.objects import (
    adjacent,
    asindices,
    asobject,
    backdrop,
    bordering,
    box,
    colorfilter,
    colorparts,
    connect,
    delta,
    dneighbors,
    fgpartition,
    frontiers,
    hfrontier,
    hline,
    holes,
    inbox,
    ineighbors,
    neighbors,
    objects,
    occurrences,
    outbox,
    partition,
    shoot,
    sizefilter,
    toindices,
    toobject,
    vfrontier,
    vline,
)

# 0 is the background (five cells). Two 1s touch only diagonally; 2 sits beside a 1.
G = (
    (1, 0, 0),
    (0, 1, 2),
    (0, 0, 3),
)
ONE_A = frozenset({(1, (0, 0))})
ONE_B = frozenset({(1, (1, 1))})
TWO = frozenset({(2, (1, 2))})
THREE = frozenset({(3, (2, 2))})
SQUARE3 = frozenset((i, j) for i in range(3) for j in range(3))

# The package attribute `objects` is the objects() function, so fetch the module by its full name.
objects_module = importlib.import_module("batt_tasks.dsl.objects")


def test_toindices() -> None:
    assert toindices(frozenset({(4, (0, 1)), (5, (2, 2))})) == frozenset({(0, 1), (2, 2)})
    assert toindices(frozenset({(0, 1)})) == frozenset({(0, 1)})
    assert toindices(frozenset()) == frozenset()


def test_asindices() -> None:
    assert asindices(((1, 2),)) == frozenset({(0, 0), (0, 1)})


def test_asobject() -> None:
    assert asobject(((1, 2),)) == frozenset({(1, (0, 0)), (2, (0, 1))})


def test_toobject() -> None:
    assert toobject(frozenset({(1, 2), (2, 2), (5, 5)}), G) == frozenset({(2, (1, 2)), (3, (2, 2))})


def test_objects() -> None:
    # single colour, 4-connected, no background: every coloured cell alone
    assert objects(G, True, False, True) == frozenset({ONE_A, ONE_B, TWO, THREE})
    # single colour, 8-connected: the two 1s join
    assert objects(G, True, True, True) == frozenset({ONE_A | ONE_B, TWO, THREE})
    # multicolour, 4-connected: 1 at (1, 1), 2 and 3 join; the corner 1 stays alone
    assert objects(G, False, False, True) == frozenset({ONE_A, ONE_B | TWO | THREE})
    # multicolour, 8-connected, no background: one object of all coloured cells
    assert objects(G, False, True, True) == frozenset({ONE_A | ONE_B | TWO | THREE})
    # background kept, multicolour: the whole grid is one object
    assert objects(G, False, False, False) == frozenset({asobject(G)})
    # background kept, single colour, 4-connected: the 0s form two groups
    zeros = objects(G, True, False, False) - {ONE_A, ONE_B, TWO, THREE}
    assert zeros == frozenset(
        {frozenset({(0, (0, 1)), (0, (0, 2))}), frozenset({(0, (1, 0)), (0, (2, 0)), (0, (2, 1))})}
    )


def test_partition() -> None:
    grid = ((1, 0), (0, 1))
    assert partition(grid) == frozenset({frozenset({(1, (0, 0)), (1, (1, 1))}), frozenset({(0, (0, 1)), (0, (1, 0))})})


def test_fgpartition() -> None:
    assert fgpartition(G) == frozenset({ONE_A | ONE_B, TWO, THREE})


def test_colorfilter() -> None:
    assert colorfilter(frozenset({ONE_A, TWO, ONE_B}), 1) == frozenset({ONE_A, ONE_B})


def test_colorparts() -> None:
    assert colorparts(ONE_B | TWO | frozenset({(2, (0, 0))})) == frozenset(
        {ONE_B, frozenset({(2, (1, 2)), (2, (0, 0))})}
    )


def test_sizefilter() -> None:
    assert sizefilter(frozenset({ONE_A, ONE_B | TWO}), 2) == frozenset({ONE_B | TWO})
    assert sizefilter(((1,), (1, 2)), 1) == frozenset({(1,)})


def test_box() -> None:
    assert box(SQUARE3) == SQUARE3 - {(1, 1)}
    assert box(frozenset({(5, (2, 3))})) == frozenset({(2, 3)})
    assert box(frozenset()) == frozenset()


def test_backdrop() -> None:
    assert backdrop(frozenset({(0, 0), (1, 2)})) == frozenset({(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)})


def test_delta() -> None:
    assert delta(frozenset({(0, 0), (1, 1)})) == frozenset({(0, 1), (1, 0)})


def test_inbox() -> None:
    big = frozenset({(0, 0), (3, 3)})
    assert inbox(big) == frozenset({(1, 1), (1, 2), (2, 1), (2, 2)})
    assert inbox(frozenset({(0, 0), (1, 1)})) == frozenset()


def test_outbox() -> None:
    assert outbox(frozenset({(1, 1)})) == SQUARE3 - {(1, 1)}


def test_dneighbors() -> None:
    assert dneighbors((1, 1)) == frozenset({(0, 1), (2, 1), (1, 0), (1, 2)})


def test_ineighbors() -> None:
    assert ineighbors((1, 1)) == frozenset({(0, 0), (0, 2), (2, 0), (2, 2)})


def test_neighbors() -> None:
    assert neighbors((1, 1)) == SQUARE3 - {(1, 1)}


def test_adjacent() -> None:
    assert adjacent(ONE_B, TWO)
    assert not adjacent(ONE_A, ONE_B)  # diagonal only
    assert not adjacent(ONE_B, ONE_B)  # overlap is distance 0


def test_bordering() -> None:
    assert bordering(frozenset({(0, 1)}), G)
    assert not bordering(frozenset({(1, 1)}), G)
    assert bordering(THREE, G)


def test_hline() -> None:
    assert hline(frozenset({(2, 0), (2, 1), (2, 2)}))
    assert not hline(frozenset({(2, 0), (2, 2)}))
    assert not hline(frozenset({(0, 0), (1, 0)}))


def test_vline() -> None:
    assert vline(frozenset({(1, (0, 4)), (1, (1, 4))}))
    assert not vline(frozenset({(0, 0), (0, 1)}))


def test_connect() -> None:
    assert connect((0, 0), (0, 3)) == frozenset({(0, 0), (0, 1), (0, 2), (0, 3)})
    assert connect((2, 2), (0, 0)) == frozenset({(0, 0), (1, 1), (2, 2)})
    assert connect((0, 2), (2, 0)) == frozenset({(0, 2), (1, 1), (2, 0)})
    assert connect((0, 0), (1, 2)) == frozenset()
    assert connect((4, 4), (4, 4)) == frozenset({(4, 4)})


def test_shoot() -> None:
    ray = shoot((0, 0), (1, 1))
    assert len(ray) == 32 and (0, 0) in ray and (31, 31) in ray
    assert shoot((5, 5), (0, -1)) >= {(5, 5), (5, 0), (5, -1)}


def test_hfrontier() -> None:
    row = hfrontier((3, 7))
    assert frozenset({(3, 0), (3, 29)}) <= row and all(i == 3 for i, _ in row)


def test_vfrontier() -> None:
    col = vfrontier((3, 7))
    assert frozenset({(0, 7), (29, 7)}) <= col and all(j == 7 for _, j in col)


def test_frontiers() -> None:
    grid = ((5, 5, 5), (1, 5, 2))
    assert frontiers(grid) == frozenset(
        {frozenset({(5, (0, 0)), (5, (0, 1)), (5, (0, 2))}), frozenset({(5, (0, 1)), (5, (1, 1))})}
    )


def test_occurrences() -> None:
    pattern = frozenset({(1, (5, 5)), (2, (5, 6))})
    assert occurrences(((1, 2, 1, 2), (0, 1, 2, 0)), pattern) == frozenset({(0, 0), (0, 2), (1, 1)})
    assert occurrences(((1,),), pattern) == frozenset()


def test_holes() -> None:
    ring = SQUARE3 - {(1, 1)}
    assert holes(ring) == frozenset({(1, 1)})
    assert holes(frozenset({(0, 0), (0, 1), (1, 0)})) == frozenset()


def test_every_public_function_has_a_test() -> None:
    missing = [name for name in objects_module.__all__ if f"test_{name}" not in globals()]
    assert not missing
