"""Inline: turn a straight-line program into one canonical expression; its md5 is the solver's identity.

``x1 = f(I); x2 = g(x1, 3); O = h(x2)`` and ``O = h(g(f(I), THREE))`` are one solver: every local is
substituted into its uses, unused lines vanish, DSL constants become their literal values, and the
resulting expression's source is hashed. The executed form is rebuilt from that expression, one call
per line with shared subexpressions computed once, so inlining never repeats work at run time.
"""

import ast
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from batt_tasks.dsl import PRIMITIVES
from batt_tasks.payloads import Candidate, CandidateBatch, InlinedBatch, InlinedCandidate, RejectedCandidate
from batt_tasks.sandbox.whitelist import Rejected, check_source, too_deep_rejected

MAX_INLINED_NODES = 20_000
# A rejected program is stored for the record, not to run: its first characters and its md5 are enough.
MAX_REJECTED_CHARS = 2_000
REJECTED_PREFIX = "rejected:"


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
    """The hex md5 of a text."""
    return hashlib.md5(text.encode()).hexdigest()


def inline_candidate(candidate: Candidate) -> InlinedCandidate | RejectedCandidate:
    """Fill in md5, expression, program and size; a rejected candidate gets a reason and a bounded copy.

    The md5 comes from one function for every status: the canonical expression's, or for a program that has
    none (rejected) the md5 of its source in a namespace of its own, so a rejected text can never take the
    identity of a solver (an expression's text never starts with REJECTED_PREFIX) and be reused as its result.
    """
    try:
        inlined = inline_source(candidate["source"])
    except Rejected as reason:
        source = candidate["source"]
        kept = source[:MAX_REJECTED_CHARS]
        if len(source) > MAX_REJECTED_CHARS:
            kept += f"\n# ... {len(source) - MAX_REJECTED_CHARS} more characters not kept"
        rejected: RejectedCandidate = {
            **candidate,
            "source": "",
            "md5": text_md5(REJECTED_PREFIX + source),
            "expression": None,
            "program": kept,
            "size": 0,
            "status": "rejected",
            "error": str(reason),
        }
        return rejected
    return {
        **candidate,
        "source": "",  # the canonical program replaces it
        "md5": inlined.md5,
        "expression": inlined.expression,
        "program": inlined.program,
        "size": inlined.size,
    }


# (task key, md5s, per-sample timeout) -> the md5s whose stored result on the task still holds.
KnownLookup = Callable[[str, list[str], float], set[str]]


def inline_batch(batch: CandidateBatch, known: KnownLookup) -> InlinedBatch:
    """The inline stage: canonicalise every candidate, then drop what is already decided before validate.

    Dropped: a second candidate with an md5 the batch already has (same solver, other text), and one the
    database already evaluated on this task under limits that still hold (`known`), whose
    stored result persist copies into this run instead.
    """
    started = time.perf_counter()
    canonical = [inline_candidate(candidate) for candidate in batch["candidates"]]
    first: dict[str, InlinedCandidate] = {}
    for candidate in canonical:
        first.setdefault(candidate["md5"], candidate)
    distinct = list(first.values())
    work = batch["work"]
    md5s = [c["md5"] for c in distinct]
    reusable = set() if work["fresh"] else known(batch["task"]["key"], md5s, work["sample_timeout"])
    reused = {c["md5"]: c["origin"] for c in distinct if c["md5"] in reusable}
    survivors = [c for c in distinct if c["md5"] not in reusable]
    timings = {**batch["timings"], "inline": time.perf_counter() - started}
    return {**batch, "candidates": survivors, "reused": reused, "timings": timings}


def _substitute(node: ast.expr, bindings: dict[str, ast.expr]) -> ast.expr:
    """A copy of node with locals replaced by their expressions and constants by their values."""
    match node:
        case ast.Name(id=name) if name in bindings:
            return bindings[name]
        case ast.Name(id=name) if name in PRIMITIVES and _is_literal_value(PRIMITIVES[name]):
            return _literal(PRIMITIVES[name])
        case ast.Name(id=name):
            return ast.Name(id=name, ctx=ast.Load())
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=value)) if type(value) is int:
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
    """A DSL constant's value (one `_is_literal_value` accepts) as an expression."""
    if isinstance(value, tuple):
        return ast.Tuple(elts=[_literal(item) for item in value], ctx=ast.Load())
    if isinstance(value, int):  # bool included
        return ast.Constant(value=value)
    raise Rejected(f"{type(value).__name__} is not a literal value")


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
