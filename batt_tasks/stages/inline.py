"""Inline: turn a straight-line program into one canonical expression; its md5 is the solver's identity.

``x1 = f(I); x2 = g(x1, 3); O = h(x2)`` and ``O = h(g(f(I), THREE))`` are one solver: every local is
substituted into its uses, unused lines vanish, DSL constants become their literal values, and the
resulting expression's source is hashed. The executed form is rebuilt from that expression, one call
per line with shared subexpressions computed once, so inlining never repeats work at run time.
"""

import ast
import hashlib
import time
from dataclasses import dataclass

from batt_tasks.dsl import PRIMITIVES
from batt_tasks.payloads import Batch, CandidateRecord
from batt_tasks.stages.sandbox import Rejected, check_source, too_deep_rejected

MAX_INLINED_NODES = 20_000


@dataclass(frozen=True)
class InlinedProgram:
    """A candidate in canonical form."""

    md5: str
    expression: str
    program: str
    size: int


def inline_source(source: str) -> InlinedProgram:
    """Canonicalise a candidate; raises Rejected when it is not a valid DSL program."""
    checked = check_source(source)
    bindings: dict[str, ast.expr] = {}
    with too_deep_rejected():
        for name, value in checked.assignments:
            bindings[name] = _substitute(value, bindings)
        expression = _substitute(checked.result, bindings)
        nodes = _expanded_size(expression, {})
        if nodes > MAX_INLINED_NODES:
            raise Rejected(f"inlined expression has {nodes} nodes, more than {MAX_INLINED_NODES}")
        text = ast.unparse(expression)
        lines = _straight_line(expression)
    program = "\n".join(["def solve(I):", *(f"    {line}" for line in lines), "    return O", ""])
    return InlinedProgram(md5=text_md5(text), expression=text, program=program, size=len(lines))


def text_md5(text: str) -> str:
    """The hex md5 of a text: the identity of expressions and of rejected sources alike."""
    return hashlib.md5(text.encode()).hexdigest()


def inline_candidate(candidate: CandidateRecord) -> CandidateRecord:
    """Fill in md5, expression, program and size; a rejected candidate keeps its source and a reason.

    A candidate that arrives already canonical (the producer's dedup inlines to learn the md5) is kept
    as it is: validate's sandbox checks its program again before it runs.
    """
    if "md5" in candidate and "program" in candidate:
        return candidate
    try:
        inlined = inline_source(candidate["source"])
    except Rejected as reason:
        return {
            **candidate,
            "md5": text_md5(candidate["source"].strip()),
            "expression": None,
            "program": candidate["source"],
            "size": 0,
            "status": "rejected",
            "error": str(reason),
        }
    return {
        **candidate,
        "source": "",  # the canonical program replaces it; only a rejected candidate keeps its source
        "md5": inlined.md5,
        "expression": inlined.expression,
        "program": inlined.program,
        "size": inlined.size,
    }


def inline_batch(batch: Batch) -> Batch:
    """The inline stage: canonicalise every candidate of a batch."""
    started = time.perf_counter()
    candidates = [inline_candidate(candidate) for candidate in batch["candidates"]]
    timings = {**batch["timings"], "inline": time.perf_counter() - started}
    return {**batch, "candidates": candidates, "timings": timings}


def _substitute(node: ast.expr, bindings: dict[str, ast.expr]) -> ast.expr:
    """A copy of node with locals replaced by their expressions and constants by their values."""
    match node:
        case ast.Name(id=name) if name in bindings:
            return bindings[name]
        case ast.Name(id=name) if name in PRIMITIVES and _is_literal_value(PRIMITIVES[name]):
            return _literal(PRIMITIVES[name])
        case ast.Name(id=name):
            return ast.Name(id=name, ctx=ast.Load())
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=value)):
            return ast.Constant(value=-value)
        case ast.Constant(value=value):
            return ast.Constant(value=value)
        case ast.Tuple(elts=elements):
            return ast.Tuple(elts=[_substitute(e, bindings) for e in elements], ctx=ast.Load())
        case ast.Call(func=func, args=args):
            return ast.Call(
                func=_substitute(func, bindings), args=[_substitute(a, bindings) for a in args], keywords=[]
            )
    raise Rejected(f"{type(node).__name__} cannot be inlined")


def _is_literal_value(value: object) -> bool:
    if type(value) in (int, bool):
        return True
    return isinstance(value, tuple) and all(_is_literal_value(item) for item in value)


def _literal(value: object) -> ast.expr:
    if isinstance(value, tuple):
        return ast.Tuple(elts=[_literal(item) for item in value], ctx=ast.Load())
    return ast.Constant(value=value)


def _expanded_size(node: ast.AST, memo: dict[int, int]) -> int:
    """Nodes of the tree once every shared subtree is written out: what the expression's text costs."""
    key = id(node)
    if key not in memo:
        memo[key] = 1 + sum(_expanded_size(child, memo) for child in ast.iter_child_nodes(node))
    return memo[key]


def _straight_line(expression: ast.expr) -> list[str]:
    """One call per line in evaluation order, each distinct call once, the last one named O."""
    lines: list[str] = []
    names: dict[str, str] = {}

    def emit(node: ast.expr) -> str:
        if not isinstance(node, ast.Call):
            if isinstance(node, ast.Tuple):
                return "(" + ", ".join(emit(e) for e in node.elts) + ("," if len(node.elts) == 1 else "") + ")"
            return ast.unparse(node)
        call = f"{emit(node.func)}({', '.join(emit(a) for a in node.args)})"
        if call not in names:
            names[call] = f"x{len(names) + 1}"
            lines.append(f"{names[call]} = {call}")
        return names[call]

    root = emit(expression)
    if lines and lines[-1].startswith(f"{root} = "):
        lines[-1] = "O = " + lines[-1].split(" = ", 1)[1]
    else:
        lines.append(f"O = {root}")
    return lines
