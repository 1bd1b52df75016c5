"""Learning cell rules from demos: consistent tables only, covering the test inputs, simplest first."""

import pytest

from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.cellrules import learned_ranked_rules, learned_relative_rules, learned_rules
from batt_tasks.search.enumeration import program_source

# Fill what a ring of 1s encloses with 4: the enclosed background is the rule.
DEMOS = [
    (
        ((1, 1, 1, 0, 0), (1, 0, 1, 0, 0), (1, 1, 1, 0, 0), (0, 0, 0, 0, 0)),
        ((1, 1, 1, 0, 0), (1, 4, 1, 0, 0), (1, 1, 1, 0, 0), (0, 0, 0, 0, 0)),
    ),
    (
        ((0, 0, 0, 0, 0), (0, 1, 1, 1, 1), (0, 1, 0, 0, 1), (0, 1, 1, 1, 1)),
        ((0, 0, 0, 0, 0), (0, 1, 1, 1, 1), (0, 1, 4, 4, 1), (0, 1, 1, 1, 1)),
    ),
]
TEST = ((0, 0, 0, 0, 0), (1, 1, 1, 0, 0), (1, 0, 1, 0, 0), (1, 0, 1, 0, 0), (1, 1, 1, 0, 0))
TEST_OUTPUT = ((0, 0, 0, 0, 0), (1, 1, 1, 0, 0), (1, 4, 1, 0, 0), (1, 4, 1, 0, 0), (1, 1, 1, 0, 0))


def test_learns_the_simplest_rule_and_it_runs_as_a_checked_program() -> None:
    rules = learned_rules(DEMOS, [TEST])
    assert rules and rules[0].startswith("cellrule(I, BYENCLOSED, ")
    solver = compile_solver(program_source(rules[0]))
    assert [solver(grid_in) for grid_in, _ in DEMOS] == [grid_out for _, grid_out in DEMOS]
    assert solver(TEST) == TEST_OUTPUT
    assert len(learned_rules(DEMOS, [TEST], limit=1)) == 1


def test_no_rule_when_demos_disagree_or_shapes_change() -> None:
    same_input_two_answers = [(((1, 0),), ((1, 0),)), (((1, 0),), ((1, 2),))]
    assert learned_rules(same_input_two_answers, []) == []
    assert learned_rules([(((1, 0),), ((1,),))], []) == []


def test_a_rule_that_cannot_answer_a_test_cell_is_not_offered() -> None:
    # Colour 3 never appears in the demos: no feature's table knows a cell of it.
    unseen = ((3, 0, 0, 0, 0), (1, 1, 1, 0, 0), (1, 0, 1, 0, 0), (1, 1, 1, 0, 0))
    assert learned_rules(DEMOS, [unseen]) == []


# The ring's colour differs in every pair and in the test: a colour table cannot cover the test, ranks can.
# Its inside always becomes the fixed colour 4.
RECOLOURED = [
    (tuple(tuple(2 if v == 1 else v for v in row) for row in DEMOS[0][0]),
     tuple(tuple(2 if v == 1 else v for v in row) for row in DEMOS[0][1])),
    (tuple(tuple(5 if v == 1 else v for v in row) for row in DEMOS[1][0]),
     tuple(tuple(5 if v == 1 else v for v in row) for row in DEMOS[1][1])),
]  # fmt: skip
RECOLOURED_TEST = tuple(tuple(7 if v == 1 else v for v in row) for row in TEST)
RECOLOURED_OUTPUT = tuple(tuple(7 if v == 1 else v for v in row) for row in TEST_OUTPUT)


def test_a_rule_on_colour_ranks_answers_a_test_in_new_colours() -> None:
    assert learned_rules(RECOLOURED, [RECOLOURED_TEST]) == []
    rules = learned_ranked_rules(RECOLOURED, [RECOLOURED_TEST])
    assert rules and all(rule.startswith("rankedrule(I, ") for rule in rules)
    solver = compile_solver(program_source(rules[0]))
    assert [solver(grid_in) for grid_in, _ in RECOLOURED] == [grid_out for _, grid_out in RECOLOURED]
    assert solver(RECOLOURED_TEST) == RECOLOURED_OUTPUT


def test_a_ranked_rule_refuses_a_grid_with_fewer_colours_than_it_paints() -> None:
    swap_two = [(((1, 2, 2),), ((2, 1, 1),)), (((3, 4, 4),), ((4, 3, 3),))]  # the two colours swap
    rules = learned_ranked_rules(swap_two, [((6, 5, 5),)])
    assert rules
    solver = compile_solver(program_source(rules[0]))
    assert solver(((6, 5, 5),)) == ((5, 6, 6),)
    with pytest.raises(ValueError):
        solver(((5, 5, 5),))  # one colour: rank 1 has none


# A cell of the background takes the colour of its left neighbour, whatever that colour is: a new one in the test.
SMEARED = [
    (((3, 0, 0), (0, 0, 0), (0, 5, 0)), ((3, 3, 0), (0, 0, 0), (0, 5, 5))),
    (((0, 0, 0), (4, 0, 0), (0, 0, 0)), ((0, 0, 0), (4, 4, 0), (0, 0, 0))),
]
SMEARED_TEST = ((7, 0, 0), (0, 0, 0), (0, 8, 0))  # the first demo's picture in two new colours


def test_a_relative_rule_paints_a_colour_the_cell_sees_even_one_the_demos_never_showed() -> None:
    assert learned_rules(SMEARED, [SMEARED_TEST]) == []  # no table of colours knows 7 and 8
    rules = learned_relative_rules(SMEARED, [SMEARED_TEST])
    assert rules and rules[0].startswith("relativerule(I, ")
    solver = compile_solver(program_source(rules[0]))
    assert [solver(grid_in) for grid_in, _ in SMEARED] == [grid_out for _, grid_out in SMEARED]
    assert solver(SMEARED_TEST) == ((7, 7, 0), (0, 0, 0), (0, 8, 8))


def test_no_relative_rule_for_a_description_the_demos_never_showed() -> None:
    # Two coloured cells side by side: the demos never said what a colour beside another colour does.
    assert learned_relative_rules(SMEARED, [((3, 4, 0),)]) == []


def test_a_relative_rule_reads_only_features_made_of_colours() -> None:
    from batt_tasks.dsl.cellrules import BYSIZE, relativerule

    with pytest.raises(ValueError):
        relativerule(SMEARED_TEST, BYSIZE, ())


def test_a_ranked_rule_that_names_a_rank_the_test_lacks_is_not_offered() -> None:
    # The demo swaps its two colours by rank; the test has one colour only, so it has no rank 1 to paint with.
    demos = [(((1, 2, 2),), ((2, 1, 1),))]
    test = ((5, 5),)
    rules = learned_ranked_rules(demos, [test])
    assert rules
    for rule in rules:
        compile_solver(program_source(rule))(test)  # every offered rule paints the test
