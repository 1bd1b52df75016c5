"""The whitelist every candidate passes before any of it runs, and compilation against the DSL alone.

A candidate is a straight-line program: ``def solve(I):``, then assignments ``name = expr`` and one
final ``return expr``. An expression is a call, a name (the input ``I``, an earlier local, a DSL
primitive or constant), an int or bool literal (negative allowed) or a tuple of expressions. That is
the whole language: no operators, attributes, subscripts, keywords, strings, lambdas, comprehensions,
control flow or imports, so nothing can reach Python's object graph or builtins.

What is compiled is never the parsed function: the checker rebuilds every statement and expression it
accepts, and `compile_solver` compiles that fresh ``def solve(I):`` alone. A part of the source the
checker does not look at (an annotation, a default, a decorator) is refused, and could not run if it were not.
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
ASSIGN_FIELDS = ("targets", "value")  # an Assign's other fields (a type comment) must be empty
# How a refusal names a filled field of the def (any other field is named as the ast names it).
FIELD_WORDS = {
    "decorator_list": "a decorator",
    "returns": "a return annotation",
    "annotation": "an annotation",
    "defaults": "a default value",
    "kw_defaults": "a default value",
    "type_comment": "a type comment",
    "type_params": "type parameters",
    "posonlyargs": "positional-only arguments",
    "vararg": "*args",
    "kwonlyargs": "keyword-only arguments",
    "kwarg": "**kwargs",
}


class Rejected(ValueError):
    """A candidate that is not a valid DSL program; the message is the reason, stored with it."""


@dataclass(frozen=True)
class CheckedProgram:
    """A program that passed the whitelist, rebuilt from the checked parts alone.

    Every node here was made by the checker, none taken from the parsed source, so nothing the checker
    did not look at (an annotation, a default, a decorator, a field a later Python adds) can be compiled.
    """

    function: ast.FunctionDef  # a fresh `def solve(I):` holding the assignments and the return, nothing else
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
    functions = [node for node in module.body if type(node) is ast.FunctionDef]
    others = [node for node in module.body if type(node) not in (ast.FunctionDef, ast.ImportFrom)]
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
    _check_signature(function)
    body = function.body[1:] if function.body and _is_docstring(function.body[0]) else function.body
    if not body or type(body[-1]) is not ast.Return or body[-1].value is None:
        raise Rejected("the program must end with 'return <expression>'")
    if len(body) > MAX_STATEMENTS:
        raise Rejected(f"{len(body)} statements, more than {MAX_STATEMENTS}")
    defined = {INPUT_NAME}
    assignments: list[tuple[str, ast.expr]] = []
    for statement in body[:-1]:
        name, value = _check_assignment(statement)
        assignments.append((name, _checked_expression(value, defined)))
        defined.add(name)
    result = _checked_expression(body[-1].value, defined)
    return CheckedProgram(_fresh_function(assignments, result), tuple(assignments), result)


def _check_signature(function: ast.FunctionDef) -> None:
    """Exactly `def solve(I):`: every field of the def, its arguments and its one argument is empty but the
    name, the argument and the body. Field by field, whatever this Python's ast has, so a field a later
    version adds (as 3.12 added type parameters) is refused too."""
    arguments = function.args
    if type(function) is not ast.FunctionDef or function.name != FUNCTION_NAME or len(arguments.args) != 1:
        raise Rejected(f"the function must be 'def {FUNCTION_NAME}({INPUT_NAME}):' with one plain argument")
    argument = arguments.args[0]
    if argument.arg != INPUT_NAME:
        raise Rejected(f"the function's one argument must be named '{INPUT_NAME}', found '{argument.arg}'")
    for node, keep in ((function, ("name", "args", "body")), (arguments, ("args",)), (argument, ("arg",))):
        if field := _first_filled(node, keep):
            found = FIELD_WORDS.get(field, field)
            raise Rejected(f"the function must be exactly 'def {FUNCTION_NAME}({INPUT_NAME}):', found {found}")


def _first_filled(node: ast.AST, keep: tuple[str, ...]) -> str | None:
    """The first field of `node` outside `keep` that holds something (decorators, an annotation, ...)."""
    return next(
        (name for name in node._fields if name not in keep and getattr(node, name, None) not in (None, [])), None
    )


def _fresh_function(assignments: list[tuple[str, ast.expr]], result: ast.expr) -> ast.FunctionDef:
    body: list[ast.stmt] = [
        ast.Assign(targets=[ast.Name(name, ast.Store())], value=value) for name, value in assignments
    ]
    body.append(ast.Return(result))
    arguments = ast.arguments(
        posonlyargs=[], args=[ast.arg(INPUT_NAME)], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    # Python 3.12+ has type parameters; older versions refuse the field.
    extra: dict[str, Any] = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    function = ast.FunctionDef(FUNCTION_NAME, arguments, body, decorator_list=[], returns=None, **extra)
    return ast.fix_missing_locations(function)


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
    """Check, then compile the rebuilt function (never the parsed one) against the DSL alone (no builtins)."""
    checked = check_source(source)
    module = ast.Module(body=[checked.function], type_ignores=[])
    with too_deep_rejected():
        code = compile(module, "<candidate>", "exec")
    namespace: dict[str, Any] = {"__builtins__": {}, **PRIMITIVES}
    exec(code, namespace)  # only the checked statements are in `code`: only DSL calls can run
    solver: Callable[[Grid], Any] = namespace[FUNCTION_NAME]
    return solver


def rebuilt_source(source: str) -> str:
    """The program `compile_solver` would run, as text (the checker's rebuilt function); Rejected otherwise.

    What to show or write out of a program that came from outside (a database row): never its own text.
    """
    checked = check_source(source)
    with too_deep_rejected():
        return ast.unparse(checked.function) + "\n"


def _check_assignment(statement: ast.stmt) -> tuple[str, ast.expr]:
    if type(statement) is not ast.Assign or len(statement.targets) != 1 or _first_filled(statement, ASSIGN_FIELDS):
        raise Rejected(f"line {statement.lineno}: only 'name = expression' is allowed, found {_kind(statement)}")
    target = statement.targets[0]
    if type(target) is not ast.Name:
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


def _checked_expression(node: ast.expr, defined: set[str]) -> ast.expr:
    """A fresh copy of an allowed expression, built node by node as it is checked; Rejected otherwise."""
    fresh = _fresh_expression(node, defined)
    return ast.copy_location(fresh, node)  # line numbers only, for tracebacks


def _fresh_expression(node: ast.expr, defined: set[str]) -> ast.expr:
    line = getattr(node, "lineno", "?")
    match node:
        case ast.Call(func=func, args=args, keywords=keywords):
            if keywords:
                raise Rejected(f"line {line}: keyword arguments are not allowed")
            if type(func) not in (ast.Name, ast.Call):
                raise Rejected(f"line {line}: only DSL names, locals and calls can be called, found {_kind(func)}")
            callee = _checked_expression(func, defined)
            if any(type(argument) is ast.Starred for argument in args):
                raise Rejected(f"line {line}: '*' arguments are not allowed")
            return ast.Call(callee, [_checked_expression(argument, defined) for argument in args], [])
        case ast.Name(id=name):
            if name.startswith("_"):
                raise Rejected(f"line {line}: names starting with '_' are not allowed ({name})")
            if name not in defined and name not in PRIMITIVES:
                raise Rejected(f"line {line}: unknown name '{name}' (not a DSL primitive or earlier local)")
            return ast.Name(name, ast.Load())
        case ast.Constant(value=value):
            if type(value) not in (int, bool):
                raise Rejected(f"line {line}: only int and bool literals are allowed, found {type(value).__name__}")
            return ast.Constant(value)
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=value)) if type(value) is int:
            return ast.UnaryOp(ast.USub(), ast.Constant(value))
        case ast.Tuple(elts=elements):
            return ast.Tuple([_checked_expression(element, defined) for element in elements], ast.Load())
        case _:
            raise Rejected(f"line {line}: {_kind(node)} is not allowed in a DSL program")


def _is_dsl_star_import(node: ast.ImportFrom) -> bool:
    return node.module == "batt_tasks.dsl" and [alias.name for alias in node.names] == ["*"] and node.level == 0


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _kind(node: ast.AST) -> str:
    return type(node).__name__
