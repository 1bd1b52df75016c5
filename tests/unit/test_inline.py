"""Inline: equivalent straight-line programs share one canonical expression and md5."""

import pytest

from batt_tasks.sandbox.whitelist import Rejected, compile_solver
from batt_tasks.stages.inline import inline_candidate, inline_source

LINES = "def solve(I):\n    x1 = vmirror(I)\n    x2 = hconcat(I, x1)\n    O = vconcat(x2, x2)\n    return O\n"
NESTED = "def solve(I):\n    O = vconcat(hconcat(I, vmirror(I)), hconcat(I, vmirror(I)))\n    return O\n"


def test_lines_and_nested_form_are_one_solver() -> None:
    assert inline_source(LINES).md5 == inline_source(NESTED).md5
    assert inline_source(LINES).expression == "vconcat(hconcat(I, vmirror(I)), hconcat(I, vmirror(I)))"


def test_dead_lines_and_names_do_not_change_identity() -> None:
    renamed = (
        "def solve(I):\n    a = vmirror(I)\n    unused = rot90(I)\n    b = hconcat(I, a)\n    return vconcat(b, b)\n"
    )
    assert inline_source(renamed).md5 == inline_source(LINES).md5


def test_dsl_constants_become_literals() -> None:
    named = inline_source("def solve(I):\n    O = upscale(I, TWO)\n    return O\n")
    literal = inline_source("def solve(I):\n    O = upscale(I, 2)\n    return O\n")
    assert named.md5 == literal.md5
    assert named.expression == "upscale(I, 2)"


def test_canonical_program_computes_shared_calls_once_and_round_trips() -> None:
    inlined = inline_source(NESTED)
    assert inlined.program == (
        "def solve(I):\n    x1 = vmirror(I)\n    x2 = hconcat(I, x1)\n    O = vconcat(x2, x2)\n    return O\n"
    )
    assert inlined.size == 3
    assert inline_source(inlined.program).md5 == inlined.md5


def test_canonical_program_behaves_like_the_original() -> None:
    grid = ((1, 2), (3, 4))
    assert compile_solver(inline_source(LINES).program)(grid) == compile_solver(LINES)(grid)


def test_function_values_inline() -> None:
    inlined = inline_source("def solve(I):\n    x1 = rbind(upscale, 3)\n    O = x1(I)\n    return O\n")
    assert inlined.expression == "rbind(upscale, 3)(I)"
    assert "x1 = rbind(upscale, 3)" in inlined.program


def test_identity_program() -> None:
    inlined = inline_source("def solve(I):\n    return I\n")
    assert inlined.expression == "I"
    assert "O = I" in inlined.program


def test_exponential_sharing_is_rejected() -> None:
    lines = "".join(f"    x{i + 1} = hconcat(x{i}, x{i})\n" for i in range(1, 20))
    with pytest.raises(Rejected, match="inlined expression"):
        inline_source(f"def solve(I):\n    x1 = rot90(I)\n{lines}    return x20\n")


def test_rejected_candidate_keeps_source_and_reason() -> None:
    record = inline_candidate({"source": "import os\n", "origin": "test"})
    assert record["status"] == "rejected"
    assert "top level" in (record["error"] or "")
    assert record["program"] == "import os\n"
    assert len(record["md5"]) == 32
