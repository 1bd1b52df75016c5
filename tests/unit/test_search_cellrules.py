"""Learning cell rules from demos: consistent tables only, covering the test inputs, simplest first."""

from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.cellrules import learned_rules
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
