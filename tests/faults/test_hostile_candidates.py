"""Hostile candidates through the real distributed pipeline: producer -> Redis -> two prefork workers -> PostgreSQL.

Every candidate below tries to leave the DSL (imports, builtins, dunder walks, Python statements) or to exhaust
the worker (memory, time). Each must end as exactly one evaluation row whose status names why it was stopped,
the one ordinary candidate must still be evaluated ok, and the workers must go on serving runs afterwards.
"""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from batt_tasks.db.models import Evaluation, Run
from batt_tasks.db.session import session_scope
from batt_tasks.sandbox.run import run_program
from batt_tasks.stages.inline import inline_candidate
from tests.conftest import batt, produce_candidates

TASK = "007bbfb7"  # 5 demo pairs + 1 test input: 6 samples, so a timeout costs 6 x BATT_SAMPLE_TIMEOUT (2 s)


def _solve(*lines: str) -> str:
    return "def solve(I):\n" + "".join(f"    {line}\n" for line in lines)


# name -> (source, expected status, a word the stored error must hold). Names become the rows' origin.
HOSTILE: dict[str, tuple[str, str, str]] = {
    "import": ("import os\n" + _solve("return I"), "rejected", "Import"),
    "import in body": (_solve("import os", "return I"), "rejected", "Import"),
    "from import": ("from os import system\n" + _solve("return I"), "rejected", "import"),
    "dsl non-star import": ("from batt_tasks.dsl import rot90\n" + _solve("return I"), "rejected", "import"),
    "__import__ call": (_solve("x1 = __import__('os')", "return I"), "rejected", "'_'"),
    "__builtins__": (_solve("x1 = __builtins__", "return I"), "rejected", "'_'"),
    "subclasses walk": (_solve("O = I.__class__.__mro__[1].__subclasses__()", "return O"), "rejected", "Attribute"),
    "dsl function globals": (_solve("O = rot90.__globals__", "return O"), "rejected", "Attribute"),
    "call attribute of result": (_solve("O = rot90(I).count(1)", "return O"), "rejected", "Attribute"),
    "subscript": (_solve("O = I[0]", "return O"), "rejected", "Subscript"),
    "eval": (_solve("O = eval(I)", "return O"), "rejected", "unknown name 'eval'"),
    "exec": (_solve("O = exec(I)", "return O"), "rejected", "unknown name 'exec'"),
    "open": (_solve("O = open(I)", "return O"), "rejected", "unknown name 'open'"),
    "getattr": (_solve("O = getattr(I, I)", "return O"), "rejected", "unknown name 'getattr'"),
    "globals": (_solve("O = globals()", "return O"), "rejected", "unknown name 'globals'"),
    "locals": (_solve("O = locals()", "return O"), "rejected", "unknown name 'locals'"),
    "vars": (_solve("O = vars(I)", "return O"), "rejected", "unknown name 'vars'"),
    "compile": (_solve("O = compile(I, I, I)", "return O"), "rejected", "unknown name 'compile'"),
    "breakpoint": (_solve("O = breakpoint()", "return O"), "rejected", "unknown name 'breakpoint'"),
    "type": (_solve("O = type(I)", "return O"), "rejected", "unknown name 'type'"),
    "lambda": (_solve("x1 = lambda g: g", "O = x1(I)", "return O"), "rejected", "Lambda"),
    "list comprehension": (_solve("O = [r for r in I]", "return O"), "rejected", "ListComp"),
    "generator expression": (_solve("O = tuple(r for r in I)", "return O"), "rejected", "unknown name 'tuple'"),
    "generator in dsl call": (_solve("O = merge(r for r in I)", "return O"), "rejected", "GeneratorExp"),
    "while loop": (_solve("while True:", "    pass", "return I"), "rejected", "While"),
    "for loop": (_solve("for r in I:", "    pass", "return I"), "rejected", "For"),
    "string constant": (_solve("O = replace(I, 'a', 1)", "return O"), "rejected", "str"),
    "float constant": (_solve("O = upscale(I, 2.5)", "return O"), "rejected", "float"),
    "f-string": (_solve("O = f'{I}'", "return O"), "rejected", "JoinedStr"),
    "keyword argument": (_solve("O = upscale(I, factor=2)", "return O"), "rejected", "keyword"),
    "starred argument": (_solve("O = hconcat(*I)", "return O"), "rejected", "'*'"),
    "binary operator": (_solve("O = upscale(I, 10 ** 10)", "return O"), "rejected", "BinOp"),
    "nested def": (_solve("def f(g):", "    return g", "return I"), "rejected", "FunctionDef"),
    "class": ("class A:\n    pass\n" + _solve("return I"), "rejected", "ClassDef"),
    "try/except": (_solve("try:", "    O = rot90(I)", "except Exception:", "    O = I", "return O"), "rejected", "Try"),
    "with": (_solve("with I:", "    pass", "return I"), "rejected", "With"),
    "global": (_solve("global rot90", "return I"), "rejected", "Global"),
    "decorator": ("@rot90\n" + _solve("return I"), "rejected", "decorator"),
    "walrus": (_solve("O = rot90((x := I))", "return O"), "rejected", "NamedExpr"),
    "shadow a dsl name": (_solve("rot90 = I", "return rot90"), "rejected", "DSL name"),
    "async def": ("async def solve(I):\n    return I\n", "rejected", "AsyncFunctionDef"),
    "yield": (_solve("yield I", "return I"), "rejected", "Expr"),
    "syntax error": (_solve("O = rot90(I", "return O"), "rejected", "syntax error"),
    "source too long": (_solve("O = rot90(I)", "return O") + "#" * 100_001, "rejected", "characters"),
    "too many statements": (
        _solve("x0 = rot90(I)", *(f"x{n} = rot90(x{n - 1})" for n in range(1, 201)), "return x200"),
        "rejected",
        "statements",
    ),
    # Deep nesting the parser refuses, and sharing that would expand to an astronomically large expression.
    "deeply nested parentheses": (_solve("O = " + "rot90(" * 250 + "I" + ")" * 250, "return O"), "rejected", "nested"),
    "exponential expansion": (
        _solve("x1 = rot90(I)", *(f"x{n + 1} = hconcat(x{n}, x{n})" for n in range(1, 150)), "return x150"),
        "rejected",
        "nodes",
    ),
    # Valid DSL, so only validate stops them: the memory cap, then the per-sample timer.
    "huge interval": (_solve("O = interval(0, 10000000000, 1)", "return O"), "memory", "memory cap"),
    "huge repeat": (_solve("O = repeat(I, 10000000000)", "return O"), "memory", "memory cap"),
    "power loop": (_solve("x1 = power(rot90, 1000000000000)", "O = x1(I)", "return O"), "timeout", "no result"),
    "power loop on a mirror": (
        _solve("x1 = power(vmirror, 999999999999)", "O = x1(I)", "return O"),
        "timeout",
        "no result",
    ),
}
VALID = (Path(__file__).parents[2] / "batt_tasks" / "solvers" / "arcagi1" / f"{TASK}.py").read_text()


def test_hostile_sources_are_distinct_and_stopped_for_the_stated_reason() -> None:
    """Fast check, no cluster: the producer keeps every hostile source (no dedup) and inline says why."""
    md5s = set()
    for name, (source, status, reason) in HOSTILE.items():
        inlined = inline_candidate({"source": source, "origin": name})
        md5s.add(inlined["md5"])
        if status == "rejected":
            assert inlined.get("status") == "rejected", name
            assert reason in inlined["error"], (name, inlined["error"])
        else:
            assert "status" not in inlined, (name, inlined.get("error"))
    assert len(md5s) == len(HOSTILE)


# Deep nesting Python cannot walk: ast.parse raises MemoryError (its "too complex" on 3.11) for a long unary
# chain or 200 unbalanced parentheses, and a tree walk recurses once per call in `f(I)(I)...(I)` until
# RecursionError. Left to escape, these killed the whole run (deduplicate() -> produce()); the sandbox now turns
# them into Rejected. Each source is far below MAX_SOURCE_CHARS.
UNWALKABLE = {
    "call chain": _solve("O = identity" + "(I)" * 2000, "return O"),
    "unary minus chain": _solve("O = upscale(I, " + "-" * 50_000 + "1)", "return O"),
    "unbalanced parentheses": _solve("O = " + "((" * 100 + "I" + ",)" * 100, "return O"),
}


@pytest.mark.parametrize("name", sorted(UNWALKABLE))
def test_unwalkable_nesting_is_rejected_not_raised(name: str) -> None:
    source = UNWALKABLE[name]
    inlined = inline_candidate({"source": source, "origin": name})
    assert inlined.get("status") == "rejected" and inlined["error"]
    assert {s["status"] for s in run_program(source, [((1, 2),)], 1.0)} == {"rejected"}


# Several chains for the one task, so both workers take some (the shared queue serves whichever is idle).
BATCH_SIZE = 8


def _ordered_candidates() -> list[tuple[str, str]]:
    """Hostile first, the valid one last; the two timeouts lead batches 0 and 1, which go to different workers."""
    slow = ["power loop", "power loop on a mirror"]
    rest = [name for name in HOSTILE if name not in slow]
    names = [slow[0], *rest[: BATCH_SIZE - 1], slow[1], *rest[BATCH_SIZE - 1 :]]
    return [(f"hostile:{name}", HOSTILE[name][0]) for name in names] + [("valid", VALID)]


@pytest.mark.slow
def test_hostile_candidates_through_the_distributed_pipeline(cluster: dict[str, str], tmp_path: Path) -> None:
    folder = Path(cluster["folder"])
    candidates = _ordered_candidates()
    outcome = produce_candidates(cluster, TASK, candidates, BATCH_SIZE, folder)
    assert outcome["generated"] == len(candidates) == outcome["after_dedup"]  # nothing hostile was lost to dedup
    origins: dict[str, str] = outcome["origins"]  # type: ignore[assignment]

    url = cluster["BATT_DATABASE_URL"]
    with session_scope(url) as session:
        run = session.get_one(Run, outcome["run_id"])
        assert run.status == "finished"
        rows = session.scalars(select(Evaluation).where(Evaluation.run_id == outcome["run_id"])).all()
        found = [
            (origins[r.origin], r.solver_md5, r.status, r.error, [s["status"] for s in r.samples], r.worker)
            for r in rows
        ]
    by_origin: dict[str, list[tuple[str, str, str | None, list[str], str | None]]] = {}
    for origin, *rest in found:
        by_origin.setdefault(origin, []).append(tuple(rest))  # type: ignore[arg-type]
    assert sorted(by_origin) == sorted(origin for origin, _ in candidates)

    for origin, source in candidates:
        assert len(by_origin[origin]) == 1, (origin, by_origin[origin])  # exactly one row, never a duplicate
        md5, status, error, samples, worker = by_origin[origin][0]
        assert md5 == inline_candidate({"source": source, "origin": origin})["md5"], origin
        assert len(samples) == 6 and worker, origin
        if origin == "valid":
            assert (status, error, set(samples)) == ("ok", None, {"ok"})
            continue
        _, expected, reason = HOSTILE[origin.removeprefix("hostile:")]
        assert status == expected, (origin, status, error)
        assert error and error.strip() and reason in error, (origin, error)
        assert expected in samples, (origin, samples)
        if expected == "rejected":
            assert set(samples) == {"rejected"}, origin  # nothing of a rejected candidate ever ran
    workers_used = {r[-1].split("@")[0] for r in found}
    assert workers_used <= {"gpu0", "gpu1"} and workers_used, workers_used

    # The workers survived all of it: they still answer, and a second small run completes end to end.
    listing = batt("workers", env=cluster, cwd=folder)
    assert listing.returncode == 0, listing.stderr
    assert "gpu0@" in listing.stdout and "gpu1@" in listing.stdout
    again = batt("run", "--task", TASK, "--budget", "5", "--fresh", "--json", env=cluster, cwd=tmp_path, timeout=180)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["status"] == "finished" and summary["mode"] == "celery"
    assert summary["evaluated"] == summary["after_dedup"] > 0
