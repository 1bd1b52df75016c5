"""Cell rules on views of the input: the first view that gives a rule, as a checked program."""

import time

from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.enumeration import program_source
from batt_tasks.search.views import RELATIVE, learned_view_rules, views

# Two cells of one colour in a row are joined by a line of their colour.
DEMOS = [
    (((0, 0, 0, 0), (3, 0, 0, 3), (0, 0, 0, 0)), ((0, 0, 0, 0), (3, 3, 3, 3), (0, 0, 0, 0))),
    (((2, 0, 2, 0), (0, 0, 0, 0), (0, 5, 0, 5)), ((2, 2, 2, 0), (0, 0, 0, 0), (0, 5, 5, 5))),
]
TEST = ((5, 0, 0, 5), (0, 3, 0, 3), (0, 2, 0, 0))
TEST_OUTPUT = ((5, 5, 5, 5), (0, 3, 3, 3), (0, 2, 0, 0))


def test_the_first_view_with_a_rule_gives_a_checked_program() -> None:
    rules = learned_view_rules(DEMOS, [TEST], deadline=time.monotonic() + 60)
    assert rules and rules[0].startswith("cellrule(bridges(I, ((0, 1),)), BYCOLOUR, ")
    solver = compile_solver(program_source(rules[0]))
    assert [solver(grid_in) for grid_in, _ in DEMOS] == [grid_out for _, grid_out in DEMOS]
    assert solver(TEST) == TEST_OUTPUT


def test_marks_are_in_a_colour_no_input_uses_and_need_one() -> None:
    texts = [text for text, _ in views([((0, 1, 2),), ((3, 0, 4),)])]
    assert texts[0] == "fillenclosed(I, 5)"
    marks = ["halo(I, 5, F)", "halo(I, 5, T)", "boxes(I, 5, F)", "boxes(I, 5, T)", "gaps(I, 5)", "rings(I, 5)"]
    assert texts[-6:] == marks
    every_colour = [text for text, _ in views([(tuple(range(10)),)])]
    assert every_colour and all(text.startswith(("bridges", "rays")) for text in every_colour)


def test_no_rule_when_shapes_differ_or_time_is_up() -> None:
    assert learned_view_rules(DEMOS, [TEST], deadline=time.monotonic() - 1) == []
    taller = [(grid_in, grid_out + grid_out[:1]) for grid_in, grid_out in DEMOS]  # 4 rows from 3: no multiple
    assert learned_view_rules(taller, [TEST], deadline=time.monotonic() + 60) == []
    unlike = [(DEMOS[0][0], DEMOS[0][1] * 2), (DEMOS[1][0], DEMOS[1][1] * 3)]  # twice, then three times as tall
    assert learned_view_rules(unlike, [TEST], deadline=time.monotonic() + 60) == []


def test_an_output_a_multiple_of_its_input_is_read_from_the_input_grown_to_it() -> None:
    # Tiled twice down, then each row's two cells of one colour joined: a rule on a view of the tiled input.
    doubled = [(grid_in, grid_out + grid_out) for grid_in, grid_out in DEMOS]
    rules = learned_view_rules(doubled, [TEST], deadline=time.monotonic() + 60)
    assert rules and rules[0].startswith("cellrule(bridges(tile(I, (2, 1)), ((0, 1),)), BYCOLOUR, ")
    solver = compile_solver(program_source(rules[0]))
    assert solver(TEST) == TEST_OUTPUT + TEST_OUTPUT
    # Each cell blown up to 2x2 and recoloured: the learners read the blown-up grid itself.
    blown = [(((1, 0),), ((2, 2, 0, 0), (2, 2, 0, 0))), (((0, 1),), ((0, 0, 2, 2), (0, 0, 2, 2)))]
    # Tiled, the same demos fit a table of positions too, a longer one that paints this test wrong: the shorter wins.
    rule = learned_view_rules(blown, [((1, 1),)], deadline=time.monotonic() + 60)[0]
    assert rule.startswith("cellrule(upscale(I, 2), BYCOLOUR, ")
    assert compile_solver(program_source(rule))(((1, 1),)) == ((2, 2, 2, 2), (2, 2, 2, 2))


def test_no_rule_where_no_view_explains_the_demos() -> None:
    # The output turns every cell 1: the demos say 1 becomes 1 and also becomes 2. No table can say both.
    clashing = [(((1, 0),), ((1, 1),)), (((1, 0),), ((2, 2),))]
    assert learned_view_rules(clashing, [((1, 0),)], deadline=time.monotonic() + 60) == []


def test_relative_rules_read_the_views_only_when_asked() -> None:
    rules = learned_view_rules(DEMOS, [TEST], deadline=time.monotonic() + 60, learners=RELATIVE)
    assert rules and rules[0].startswith("relativerule(bridges(I, ((0, 1),)), ")
    solver = compile_solver(program_source(rules[0]))
    assert solver(TEST) == TEST_OUTPUT
    assert not learned_view_rules(DEMOS, [TEST], deadline=time.monotonic() + 60)[0].startswith("relativerule")
