"""Learning layouts of blocks, object crops and overlaid panels from demos: only what every demo agrees on and the
tests allow."""

import pytest

from batt_tasks.dsl.layouts import FLIPH, FLIPV, arrange, cellblocks, kronecker
from batt_tasks.dsl.partitions import blockrule, shrinkblocks, stackparts
from batt_tasks.dsl.types import Grid
from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.crops import learned_colour_picks, learned_crops, learned_masks
from batt_tasks.search.enumeration import program_source
from batt_tasks.search.layouts import learned_layouts
from batt_tasks.search.panels import learned_block_rules, learned_overlays, learned_shrinks

INPUTS: list[Grid] = [((1, 0), (1, 1)), ((0, 2), (2, 2)), ((3, 3), (0, 0))]
TEST: Grid = ((0, 5), (5, 0))


def _solves(expression: str, pairs: list[tuple[Grid, Grid]]) -> bool:
    """Whether the expression, compiled as a sandbox-checked candidate, reproduces every pair."""
    solver = compile_solver(program_source(expression))
    return all(solver(grid_in) == grid_out for grid_in, grid_out in pairs)


def test_learns_a_layout_of_views_that_runs_as_a_checked_program() -> None:
    pairs = [(grid, arrange(grid, ((FLIPV,), (FLIPH,)))) for grid in INPUTS]
    found = learned_layouts(pairs, [TEST])
    assert found[0] == "arrange(I, ((FLIPV,), (FLIPH,)))"
    assert _solves(found[0], [*pairs, (TEST, arrange(TEST, ((FLIPV,), (FLIPH,))))])


def test_kronecker_prefers_a_rule_to_a_set_of_colours() -> None:
    pairs = [(grid, kronecker(grid, FLIPV, frozenset({1, 2, 3}))) for grid in INPUTS]
    found = learned_layouts(pairs, [TEST])
    assert "kronecker(I, FLIPV, remove(ZERO, palette(I)))" in found
    assert _solves("kronecker(I, FLIPV, remove(ZERO, palette(I)))", [(TEST, kronecker(TEST, FLIPV, {5}))])


def test_a_set_of_colours_is_offered_only_when_the_tests_show_no_other() -> None:
    # Only 1-cells get a copy, and 1 is neither the commonest nor the rarest colour: only the set (1,) says so.
    demos = (((1, 1, 1), (2, 2, 0), (0, 0, 0)), ((2, 1, 0), (1, 2, 0), (1, 0, 0)))
    pairs = [(grid, kronecker(grid, 0, frozenset({1}))) for grid in demos]
    assert "kronecker(I, ASIS, (1,))" in learned_layouts(pairs, [((0, 1, 2), (1, 0, 0), (0, 0, 0))])
    unseen = ((0, 1, 7), (1, 0, 0), (0, 0, 0))
    assert not any(text.startswith("kronecker") for text in learned_layouts(pairs, [unseen]))


def test_learns_a_block_per_colour() -> None:
    table = ((0, ((0, 0),)), (1, ((1, 2),)), (2, ((2, 1),)), (3, ((3, 3),)), (5, ((0, 5),)))
    pairs = [(grid, cellblocks(grid, table)) for grid in INPUTS]
    found = [text for text in learned_layouts(pairs, [((1, 0),)]) if text.startswith("cellblocks")]
    assert found and _solves(found[0], pairs)
    assert not any(text.startswith("cellblocks") for text in learned_layouts(pairs, [TEST]))  # 5 never seen


def test_nothing_when_demos_disagree_or_sizes_do_not_multiply() -> None:
    disagree = [(INPUTS[0], arrange(INPUTS[0], ((0, FLIPV),))), (INPUTS[1], arrange(INPUTS[1], ((FLIPV, 0),)))]
    assert not any(text.startswith("arrange") for text in learned_layouts(disagree, []))
    assert learned_layouts([(((1, 2, 3),), ((1, 2, 3, 1),))], []) == []
    assert learned_layouts([(INPUTS[0], INPUTS[0])], []) == []


def test_learns_the_crop_of_the_object_with_most_colours() -> None:
    scenes: list[tuple[Grid, Grid]] = [
        (((1, 1, 0, 0), (1, 1, 0, 2), (0, 0, 0, 3), (4, 0, 0, 0)), ((2,), (3,))),
        (((5, 6, 0, 7), (0, 0, 0, 7), (8, 8, 0, 7), (8, 8, 0, 0)), ((5, 6),)),
    ]
    found = learned_crops(scenes, [((0, 1, 2), (0, 0, 0), (3, 3, 0))])
    assert found == ["subgrid(argmax(objects(I, F, F, T), numcolors), I)"]
    assert _solves(found[0], scenes)


def test_no_crop_on_a_tie_or_an_output_as_large_as_the_input() -> None:
    scenes: list[tuple[Grid, Grid]] = [(((1, 1, 0, 0), (1, 1, 0, 2), (0, 0, 0, 3), (4, 0, 0, 0)), ((2,), (3,)))]
    assert learned_crops(scenes, [((1, 2, 0), (0, 0, 0), (3, 4, 0))]) == []  # two objects of two colours
    assert learned_crops([(((1, 2),), ((1, 2),))], []) == []


# Three objects, two of one shape and colour: the odd one out is the one with no twin (PICKTWINS, fewest).
TWINS_SCENES: list[tuple[Grid, Grid]] = [
    (((1, 0, 1, 0, 2), (1, 0, 1, 0, 2), (0, 0, 0, 0, 2)), ((2,), (2,), (2,))),
    (((3, 3, 0, 4, 0), (0, 0, 0, 0, 0), (3, 3, 0, 0, 0)), ((4,),)),
]


def test_learns_a_pick_by_a_trait_that_compares_the_objects() -> None:
    test: Grid = ((5, 0, 6, 6), (0, 0, 0, 0), (5, 0, 0, 0))
    found = learned_crops(TWINS_SCENES, [test])
    assert found == ["pickcrop(I, T, F, PICKTWINS, F)"]
    assert _solves(found[0], [*TWINS_SCENES, (test, ((6, 6),))])


def test_a_pick_that_ties_on_a_test_input_is_not_offered() -> None:
    tie: Grid = ((5, 0, 6), (0, 0, 0), (7, 0, 8))  # four objects, none with a twin
    assert learned_crops(TWINS_SCENES, [tie]) == []


def test_twins_at_the_extreme_are_one_answer_and_different_objects_are_none() -> None:
    from batt_tasks.dsl.picks import PICKCELLS, pickcrop

    twins: Grid = ((1, 1, 0, 1, 1), (0, 0, 0, 0, 0), (2, 0, 0, 0, 0))
    assert pickcrop(twins, True, False, PICKCELLS, True) == ((1, 1),)  # two 1-1 bars: the same crop
    unlike: Grid = ((1, 1, 0, 3, 3), (0, 0, 0, 0, 0), (2, 0, 0, 0, 0))
    with pytest.raises(ValueError):
        pickcrop(unlike, True, False, PICKCELLS, True)


# The largest object's colour, as a 2x2 grid of it.
LARGEST_SCENES: list[tuple[Grid, Grid]] = [
    (((1, 1, 0, 2), (1, 1, 0, 0), (0, 0, 0, 3)), ((1, 1), (1, 1))),
    (((4, 0, 0, 0), (0, 0, 6, 6), (0, 0, 6, 0)), ((6, 6), (6, 6))),
]


def test_learns_the_colour_of_the_picked_object_as_a_grid_of_the_outputs_shape() -> None:
    test: Grid = ((0, 7, 0), (8, 8, 8), (0, 0, 0))
    found = learned_colour_picks(LARGEST_SCENES, [test])
    assert found == ["canvas(pickcolour(I, T, F, PICKCELLS, T), (2, 2))"]
    assert _solves(found[0], [*LARGEST_SCENES, (test, ((8, 8), (8, 8)))])


def test_no_colour_pick_where_a_constant_explains_the_demos_or_a_test_ties() -> None:
    same = [(grid, ((1, 1), (1, 1))) for grid, _ in LARGEST_SCENES[:1]] * 2
    assert learned_colour_picks(same, [LARGEST_SCENES[1][0]]) == []
    tie: Grid = ((5, 5, 0, 9, 9), (0, 0, 0, 0, 0))  # two largest objects of different colours
    assert learned_colour_picks(LARGEST_SCENES, [tie]) == []
    from batt_tasks.dsl.picks import PICKCELLS, pickcolour

    with pytest.raises(ValueError):
        pickcolour(tie, True, False, PICKCELLS, True)
    assert pickcolour(((5, 5, 0, 5, 5), (0, 0, 0, 0, 1)), True, False, PICKCELLS, True) == 5  # tied, one colour


# Three 2x2 panels stacked (no separators): where panels overlap, 2 shows over 1 and 1 over 3.
STACKED: list[Grid] = [
    ((1, 0), (0, 0), (2, 0), (0, 3), (3, 0), (0, 0)),
    ((0, 1), (1, 0), (0, 2), (0, 0), (0, 3), (3, 3)),
]


def test_learns_which_colour_shows_where_panels_overlap() -> None:
    pairs = [(grid, stackparts(grid, (2, 2), (2, 1, 3))) for grid in STACKED]
    assert pairs[0][1] == ((2, 0), (0, 3)) and pairs[1][1] == ((0, 2), (1, 3))
    test = ((3, 0), (0, 2), (1, 0), (0, 0), (2, 0), (0, 0))
    found = learned_overlays(pairs, [test])
    assert found == ["stackparts(I, (2, 2), (2, 1, 3))"]
    assert _solves(found[0], [*pairs, (test, ((2, 0), (0, 2)))])


def test_an_overlap_the_demos_never_ranked_is_no_rule() -> None:
    pairs = [(grid, stackparts(grid, (2, 2), (2, 1, 3))) for grid in STACKED]
    # 2 over 3 follows (2 over 1, 1 over 3); but the demos never put 4 anywhere, nor 3 against 2 alone.
    assert learned_overlays(pairs, [((2, 0), (0, 0), (3, 0), (0, 0), (0, 0), (0, 0))]) != []
    assert learned_overlays(pairs, [((4, 0), (0, 0), (1, 0), (0, 0), (0, 0), (0, 0))]) == []
    # An output colour that no panel sets there, or contradicting precedences, give no rule either.
    assert learned_overlays([(STACKED[0], ((2, 0), (0, 4)))], []) == []
    swapped = [(STACKED[0], ((2, 0), (0, 3))), (((1, 0), (0, 0), (2, 0), (0, 0), (0, 0), (0, 0)), ((1, 0), (0, 0)))]
    assert learned_overlays(swapped, []) == []


def test_stackparts_cuts_between_separators_first_and_refuses_an_unranked_colour() -> None:
    grid = ((1, 1, 5, 0, 2), (0, 0, 5, 2, 2))
    assert stackparts(grid, (2, 2), (2, 1)) == ((1, 2), (2, 2))
    with pytest.raises(ValueError):
        stackparts(grid, (2, 2), (1,))
    with pytest.raises(ValueError):
        stackparts(((1, 2, 3),), (1, 2), (1, 2, 3))  # 3 columns do not cut into panels 2 wide


def test_learns_a_cell_per_block_by_its_commonest_or_rarest_colour() -> None:
    # Each 2x2 block holds one dot: its commonest colour besides the black around it.
    dots = [
        ((0, 3, 0, 0), (0, 0, 4, 0), (0, 0, 0, 0), (1, 0, 0, 0)),
        ((0, 0, 0, 7), (0, 0, 0, 0), (0, 0, 0, 0), (0, 2, 0, 0)),
    ]
    pairs = [(grid, shrinkblocks(grid, (2, 2), False)) for grid in dots]
    assert pairs[0][1] == ((3, 4), (1, 0))
    found = learned_shrinks(pairs, [((5, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 6))])
    assert found == ["shrinkblocks(I, (2, 2), F)"]
    # Outputs of several shapes from blocks of one size: the block count follows each input's shape.
    wide = ((0, 0, 0, 0, 8, 0), (0, 9, 0, 0, 0, 0))
    assert learned_shrinks([*pairs, (wide, ((9, 0, 8),))], [wide]) == ["shrinkblocks(I, divide(shape(I), (2, 2)), F)"]
    # A block with two colours equally common is no answer: the test gives no grid, so no rule.
    assert learned_shrinks(pairs, [((5, 6, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))]) == []


def test_shrinkblocks_takes_the_rarest_colour_and_refuses_an_uneven_cut() -> None:
    grid = ((1, 1, 2, 2), (1, 3, 2, 2))
    assert shrinkblocks(grid, (1, 2), True) == ((3, 2),)
    with pytest.raises(ValueError):
        shrinkblocks(grid, (1, 3), False)


def test_learns_to_answer_what_a_mask_hides_from_the_pictures_symmetry() -> None:
    whole = ((1, 2, 2, 1), (3, 4, 4, 3), (3, 4, 4, 3), (1, 2, 2, 1))
    demos = [
        (((1, 2, 2, 1), (3, 9, 9, 3), (3, 4, 4, 3), (1, 2, 2, 1)), ((4, 4),)),
        (((9, 9, 2, 1), (3, 4, 4, 3), (3, 4, 4, 3), (1, 2, 2, 1)), ((1, 2),)),
    ]
    test = ((1, 2, 2, 1), (3, 4, 4, 3), (9, 4, 4, 3), (9, 2, 2, 1))
    [expression] = learned_masks(demos, [test])
    assert expression == "maskedpart(I, 9, F)"
    solver = compile_solver(program_source(expression))
    assert solver(test) == ((whole[2][0],), (whole[3][0],))
    assert learned_masks(demos, [whole]) == []  # a test input with no mask has no answer


def test_learns_a_colour_per_block_pattern_and_refuses_an_unseen_block() -> None:
    # Each 1x2 block: two set cells become 4, one becomes 2, none stays 0.
    demos = [
        (((5, 5, 5, 0), (0, 0, 0, 5)), ((4, 4, 2, 2), (0, 0, 2, 2))),
        (((0, 5, 5, 5), (5, 5, 0, 0)), ((2, 2, 4, 4), (4, 4, 0, 0))),
    ]
    test = ((5, 0, 0, 0), (5, 5, 0, 5))
    [expression] = learned_block_rules(demos, [test])
    assert expression.startswith("blockrule(I, (1, 2), ")
    solver = compile_solver(program_source(expression))
    assert [solver(grid_in) for grid_in, _ in demos] == [grid_out for _, grid_out in demos]
    assert solver(test) == ((2, 2, 0, 0), (4, 4, 2, 2))
    assert learned_block_rules(demos, [((5, 7, 0, 0), (0, 0, 0, 0))]) == []  # (5, 7) was never shown
    with pytest.raises(ValueError):
        blockrule(((5, 5, 5),), (1, 2), ())  # 3 columns do not cut into blocks 2 wide
