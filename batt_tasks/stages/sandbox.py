"""The whitelist every candidate passes before any of it runs, and compilation against the DSL alone.

A candidate is a straight-line program: ``def solve(I):``, then assignments ``name = expr`` and one
final ``return expr``. An expression is a call, a name (the input ``I``, an earlier local, a DSL
primitive or constant), an int or bool literal (negative allowed) or a tuple of expressions. That is
the whole language: no operators, attributes, subscripts, keywords, strings, lambdas, comprehensions,
control flow or imports, so nothing can reach Python's object graph or builtins.
"""

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from batt_tasks.dsl import PRIMITIVES
from batt_tasks.dsl.types import Grid

INPUT_NAME = "I"
FUNCTION_NAME = "solve"
MAX_STATEMENTS = 200
MAX_SOURCE_CHARS = 100_000


class Rejected(ValueError):
    """A candidate that is not a valid DSL program; the message is the reason, stored with it."""


@dataclass(frozen=True)
class CheckedProgram:
    """A program that passed the whitelist: its parsed function and the statements in order."""

    function: ast.FunctionDef
    assignments: tuple[tuple[str, ast.expr], ...]
    result: ast.expr


def parse_solver(source: str) -> ast.FunctionDef:
    """Parse a source holding one ``def solve(I)`` (an optional DSL star import may precede it)."""
    if len(source) > MAX_SOURCE_CHARS:
        raise Rejected(f"source is {len(source)} characters, more than {MAX_SOURCE_CHARS}")
    try:
        module = ast.parse(source)
    except SyntaxError as error:
        raise Rejected(f"syntax error at line {error.lineno}: {error.msg}") from None
    functions = [node for node in module.body if isinstance(node, ast.FunctionDef)]
    others = [node for node in module.body if not isinstance(node, ast.FunctionDef | ast.ImportFrom)]
    if others:
        raise Rejected(f"only 'def {FUNCTION_NAME}(I): ...' is allowed at top level, found {_kind(others[0])}")
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and not _is_dsl_star_import(node):
            raise Rejected(f"import at line {node.lineno}: only 'from batt_tasks.dsl import *' is allowed")
    if len(functions) != 1:
        raise Rejected(f"expected exactly one function, found {len(functions)}")
    return functions[0]


def check_function(function: ast.FunctionDef) -> CheckedProgram:
    """Check a parsed function against the whitelist; raise Rejected with the first reason found."""
    arguments = function.args
    if (
        function.name != FUNCTION_NAME
        or [a.arg for a in arguments.args] != [INPUT_NAME]
        or arguments.posonlyargs
        or arguments.kwonlyargs
        or arguments.vararg
        or arguments.kwarg
        or arguments.defaults
    ):
        raise Rejected(f"the function must be 'def {FUNCTION_NAME}({INPUT_NAME}):' with one argument")
    if function.decorator_list or function.returns is not None:
        raise Rejected("decorators and return annotations are not allowed")
    body = [node for node in function.body if not _is_docstring(node)]
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        raise Rejected("the program must end with 'return <expression>'")
    if len(body) > MAX_STATEMENTS:
        raise Rejected(f"{len(body)} statements, more than {MAX_STATEMENTS}")
    defined = {INPUT_NAME}
    assignments: list[tuple[str, ast.expr]] = []
    for statement in body[:-1]:
        name, value = _check_assignment(statement)
        _check_expression(value, defined)
        defined.add(name)
        assignments.append((name, value))
    result = body[-1].value
    _check_expression(result, defined)
    return CheckedProgram(function, tuple(assignments), result)


def check_source(source: str) -> CheckedProgram:
    """Parse and check a candidate's source."""
    with too_deep_rejected():
        return check_function(parse_solver(source))


@contextmanager
def too_deep_rejected() -> Iterator[None]:
    """Nesting too deep for the parser or a tree walk (thousands of calls or minus signs) is a rejection."""
    try:
        yield
    except (RecursionError, MemoryError):
        raise Rejected("the program nests too deeply to be checked") from None


def compile_solver(source: str) -> Callable[[Grid], Any]:
    """Check, then compile against a namespace holding the DSL and nothing else (no builtins)."""
    checked = check_source(source)
    module = ast.Module(body=[checked.function], type_ignores=[])
    with too_deep_rejected():
        code = compile(module, "<candidate>", "exec")
    namespace: dict[str, Any] = {"__builtins__": {}, **PRIMITIVES}
    exec(code, namespace)  # the whitelist above has passed: only DSL calls can run
    solver: Callable[[Grid], Any] = namespace[FUNCTION_NAME]
    return solver


def _check_assignment(statement: ast.stmt) -> tuple[str, ast.expr]:
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        raise Rejected(f"line {statement.lineno}: only 'name = expression' is allowed, found {_kind(statement)}")
    target = statement.targets[0]
    if not isinstance(target, ast.Name):
        raise Rejected(f"line {statement.lineno}: assignment target must be a plain name")
    _check_local_name(target.id, statement.lineno)
    return target.id, statement.value


def _check_local_name(name: str, line: int) -> None:
    if name.startswith("_"):
        raise Rejected(f"line {line}: names starting with '_' are not allowed ({name})")
    if name == INPUT_NAME:
        raise Rejected(f"line {line}: the input '{INPUT_NAME}' cannot be reassigned")
    if name in PRIMITIVES:
        raise Rejected(f"line {line}: '{name}' is a DSL name and cannot be reassigned")


def _check_expression(node: ast.expr, defined: set[str]) -> None:
    line = getattr(node, "lineno", "?")
    match node:
        case ast.Call(func=func, args=args, keywords=keywords):
            if keywords:
                raise Rejected(f"line {line}: keyword arguments are not allowed")
            if not isinstance(func, ast.Name | ast.Call):
                raise Rejected(f"line {line}: only DSL names, locals and calls can be called, found {_kind(func)}")
            _check_expression(func, defined)
            for argument in args:
                if isinstance(argument, ast.Starred):
                    raise Rejected(f"line {line}: '*' arguments are not allowed")
                _check_expression(argument, defined)
        case ast.Name(id=name):
            if name.startswith("_"):
                raise Rejected(f"line {line}: names starting with '_' are not allowed ({name})")
            if name not in defined and name not in PRIMITIVES:
                raise Rejected(f"line {line}: unknown name '{name}' (not a DSL primitive or earlier local)")
        case ast.Constant(value=value):
            if type(value) not in (int, bool):
                raise Rejected(f"line {line}: only int and bool literals are allowed, found {type(value).__name__}")
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=value)) if type(value) is int:
            pass
        case ast.Tuple(elts=elements):
            for element in elements:
                _check_expression(element, defined)
        case _:
            raise Rejected(f"line {line}: {_kind(node)} is not allowed in a DSL program")


def _is_dsl_star_import(node: ast.ImportFrom) -> bool:
    return node.module == "batt_tasks.dsl" and [alias.name for alias in node.names] == ["*"] and node.level == 0


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _kind(node: ast.AST) -> str:
    return type(node).__name__
