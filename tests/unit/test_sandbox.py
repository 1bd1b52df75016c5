"""The whitelist: valid DSL programs compile; anything else is rejected with a reason, before it runs."""

import ast
from pathlib import Path

import pytest

from batt_tasks.sandbox.whitelist import (
    Rejected,
    check_function,
    check_source,
    compile_solver,
    parse_solver,
    rebuilt_source,
)

VALID = """
from batt_tasks.dsl import *


def solve(I):
    x1 = vmirror(I)
    x2 = hconcat(I, x1)
    x3 = rbind(upscale, 2)
    O = x3(x2)
    return O
"""

HOSTILE = {
    "import": "import os\ndef solve(I):\n    return I\n",
    "import inside": "def solve(I):\n    import os\n    return I\n",
    "from import": "from os import system\ndef solve(I):\n    return I\n",
    "dunder import": "def solve(I):\n    x1 = __import__('os')\n    return I\n",
    "dunder import name": "def solve(I):\n    x1 = __import__\n    return I\n",
    "eval": "def solve(I):\n    O = eval('1')\n    return O\n",
    "exec": "def solve(I):\n    O = exec('1')\n    return O\n",
    "open": "def solve(I):\n    O = open(1)\n    return O\n",
    "attribute": "def solve(I):\n    O = I.__class__\n    return O\n",
    "subclasses walk": "def solve(I):\n    O = I.__class__.__mro__[1].__subclasses__()\n    return O\n",
    "subscript": "def solve(I):\n    O = I[0]\n    return O\n",
    "string": "def solve(I):\n    O = replace(I, 'a', 1)\n    return O\n",
    "float": "def solve(I):\n    O = upscale(I, 2.5)\n    return O\n",
    "binop": "def solve(I):\n    O = upscale(I, 10 ** 10)\n    return O\n",
    "lambda": "def solve(I):\n    x1 = lambda g: g\n    return I\n",
    "list comprehension": "def solve(I):\n    O = [r for r in I]\n    return O\n",
    "generator": "def solve(I):\n    O = (r for r in I)\n    return O\n",
    "while": "def solve(I):\n    while True:\n        pass\n    return I\n",
    "for": "def solve(I):\n    for r in I:\n        pass\n    return I\n",
    "if": "def solve(I):\n    if I:\n        return I\n    return I\n",
    "keyword": "def solve(I):\n    O = upscale(I, factor=2)\n    return O\n",
    "starred": "def solve(I):\n    O = hconcat(*I)\n    return O\n",
    "unknown name": "def solve(I):\n    O = print(I)\n    return O\n",
    "globals": "def solve(I):\n    O = globals()\n    return O\n",
    "shadow dsl": "def solve(I):\n    rot90 = I\n    return rot90\n",
    "reassign input": "def solve(I):\n    I = rot90(I)\n    return I\n",
    "private name": "def solve(I):\n    _x = rot90(I)\n    return _x\n",
    "use before assign": "def solve(I):\n    x1 = rot90(x2)\n    x2 = rot90(I)\n    return x1\n",
    "two functions": "def solve(I):\n    return I\ndef other(I):\n    return I\n",
    "wrong name": "def main(I):\n    return I\n",
    "two args": "def solve(I, J):\n    return I\n",
    "default arg": "def solve(I=1):\n    return I\n",
    "decorator": "@rot90\ndef solve(I):\n    return I\n",
    "no return": "def solve(I):\n    x1 = rot90(I)\n",
    "bare return": "def solve(I):\n    return\n",
    "module code": "x = 1\ndef solve(I):\n    return I\n",
    "syntax error": "def solve(I):\n    O = rot90(I\n    return O\n",
    "tuple unpack": "def solve(I):\n    a, b = I\n    return a\n",
    "augassign": "def solve(I):\n    x1 = 1\n    x1 += 1\n    return I\n",
    "walrus": "def solve(I):\n    O = rot90((x := I))\n    return O\n",
    "call attribute result": "def solve(I):\n    O = rot90(I).count(1)\n    return O\n",
    "fstring": "def solve(I):\n    O = f'{I}'\n    return O\n",
    "try": "def solve(I):\n    try:\n        O = I\n    except Exception:\n        O = I\n    return O\n",
    "with": "def solve(I):\n    with I:\n        pass\n    return I\n",
    "class": "class A:\n    pass\ndef solve(I):\n    return I\n",
    "async": "async def solve(I):\n    return I\n",
    "yield": "def solve(I):\n    yield I\n    return I\n",
    "global": "def solve(I):\n    global rot90\n    return I\n",
    "none literal": "def solve(I):\n    O = replace(I, None, 1)\n    return O\n",
    "dict": "def solve(I):\n    O = {}\n    return O\n",
    "nested def": "def solve(I):\n    def f(g):\n        return g\n    return I\n",
}


def test_valid_program_compiles_and_runs() -> None:
    solver = compile_solver(VALID)
    assert solver(((1, 2),)) == ((1, 1, 2, 2, 2, 2, 1, 1),) * 2


def test_valid_program_runs_without_builtins() -> None:
    solver = compile_solver("def solve(I):\n    O = rot90(I)\n    return O\n")
    assert solver(((1, 2), (3, 4))) == ((3, 1), (4, 2))
    assert solver.__globals__["__builtins__"] == {}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_rejected_with_a_reason(name: str) -> None:
    with pytest.raises(Rejected) as caught:
        check_source(HOSTILE[name])
    assert str(caught.value)


def test_there_are_at_least_forty_hostile_programs() -> None:
    assert len(HOSTILE) >= 40


def test_reason_names_the_offending_name() -> None:
    with pytest.raises(Rejected, match="__import__"):
        check_source(HOSTILE["dunder import"])
    with pytest.raises(Rejected, match="unknown name 'print'"):
        check_source(HOSTILE["unknown name"])


def test_negative_literals_and_tuples_are_allowed() -> None:
    check_source("def solve(I):\n    O = shift(asobject(I), (-1, 2))\n    return O\n")


def test_oversized_source_is_rejected() -> None:
    lines = "".join(f"    x{i} = rot90(I)\n" for i in range(300))
    with pytest.raises(Rejected, match="statements"):
        check_source(f"def solve(I):\n{lines}    return I\n")


# Runs without builtins, as a compiled candidate would: from any object to os.system.
ESCAPE = (
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
    ".__init__.__globals__['system']('touch {marker}')"
)
# Code hidden where the old check never looked (annotations) or in other parts of the def.
SMUGGLED = {
    "argument annotation": "def solve(I: {p}):\n    return I\n",
    "lambda in annotation": "def solve(I: (lambda: {p})()):\n    return I\n",
    "annotation beside a docstring": 'def solve(I: {p}):\n    """A solver."""\n    O = rot90(I)\n    return O\n',
    "return annotation": "def solve(I) -> {p}:\n    return I\n",
    "default": "def solve(I={p}):\n    return I\n",
    "keyword-only default": "def solve(I, *, k={p}):\n    return I\n",
    "positional-only annotation": "def solve(I: {p}, /):\n    return I\n",
    "star args annotation": "def solve(I, *a: {p}):\n    return I\n",
    "kwargs annotation": "def solve(I, **k: {p}):\n    return I\n",
    "decorator": "@(lambda f: ({p}, f)[1])\ndef solve(I):\n    return I\n",
    "statement after the docstring": 'def solve(I):\n    """A solver."""\n    {p}\n    return I\n',
    "annotated local": "def solve(I):\n    x: {p} = I\n    return x\n",
    "module annotation": "x: {p}\ndef solve(I):\n    return I\n",
    "walrus": "def solve(I):\n    O = (x := {p})\n    return I\n",
}


def test_the_escape_payload_works_without_builtins(tmp_path: Path) -> None:
    """The payload below is real: executed the way a candidate is, it creates its file."""
    marker = tmp_path / "escaped"
    exec(ESCAPE.format(marker=marker), {"__builtins__": {}})
    assert marker.exists()


@pytest.mark.parametrize("name", sorted(SMUGGLED))
def test_smuggled_code_is_rejected_and_never_runs(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "pwned"
    source = SMUGGLED[name].format(p=ESCAPE.format(marker=marker))
    with pytest.raises(Rejected):
        compile_solver(source)
    with pytest.raises(Rejected):
        rebuilt_source(source)
    assert not marker.exists()


def _filled(value: object) -> object:
    return [ast.Name("x", ast.Load())] if isinstance(value, list) else ast.Name("x", ast.Load())


SIGNATURE_FIELDS = [
    *(("def", field) for field in ast.FunctionDef._fields if field not in ("name", "args", "body")),
    *(("arguments", field) for field in ast.arguments._fields if field != "args"),
    *(("argument", field) for field in ast.arg._fields if field != "arg"),
]


@pytest.mark.parametrize(("part", "field"), SIGNATURE_FIELDS)
def test_every_field_of_the_def_is_checked(part: str, field: str) -> None:
    """Whatever fields this Python's ast has (3.12 added type_params), a filled one is refused."""
    function = parse_solver("def solve(I):\n    return I\n")
    node = {"def": function, "arguments": function.args, "argument": function.args.args[0]}[part]
    setattr(node, field, "x" if field == "type_comment" else _filled(getattr(node, field, None)))
    with pytest.raises(Rejected):
        check_function(function)


def test_what_runs_is_the_rebuilt_function_alone() -> None:
    solver = compile_solver('def solve(I):\n    """Mirrored."""\n    x1 = vmirror(I)\n    return x1\n')
    assert solver.__doc__ is None and solver.__annotations__ == {}
    assert solver.__defaults__ is None and solver.__kwdefaults__ is None
    assert solver.__code__.co_varnames[:1] == ("I",) and solver.__code__.co_argcount == 1
    assert rebuilt_source(VALID) == (
        "def solve(I):\n    x1 = vmirror(I)\n    x2 = hconcat(I, x1)\n    x3 = rbind(upscale, 2)\n"
        "    O = x3(x2)\n    return O\n"
    )
