"""`batt run --time-limit`: a cheap pass over every task, deeper passes over the unsolved ones that could go
further, each pass a run of its own, the whole plan ending within its limit; embedded and on the workers."""

import json
from pathlib import Path

from sqlalchemy import select

from batt_tasks.db.models import Run, RunTask
from batt_tasks.db.session import session_scope
from tests.conftest import batt

SOLVED_AT_ONCE = ("12eac192", "00576224")  # a colour-rank cell rule and a layout: found before any enumeration
UNSOLVED = ("0b17323b", "9def23fe")  # nothing in batt's search solves them: every pass ends on its budget or time
LIMIT_SECONDS = 20
# The plan never starts a pass it cannot fit; what a pass may overrun is process start-up and its last task.
SLACK_SECONDS = 10


def planned_run(env: dict[str, str], cwd: Path) -> dict[str, object]:
    tasks = [arg for task in (*SOLVED_AT_ONCE, *UNSOLVED) for arg in ("--task", task)]
    done = batt("run", "--split", "evaluation", *tasks, "--budget", "300", "--time-limit", f"{LIMIT_SECONDS}s",
                "--json", env=env, cwd=cwd, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "time plan:" in done.stderr
    plan: dict[str, object] = json.loads(done.stdout)
    plan["stderr"] = done.stderr
    return plan


def check_plan(plan: dict[str, object], url: str, cwd: Path, env: dict[str, str]) -> None:
    passes = plan["passes"]
    assert isinstance(passes, list) and len(passes) >= 2
    assert plan["solved"] == plan["correct"] == len(SOLVED_AT_ONCE) and plan["left_unsolved"] == len(UNSOLVED)
    assert float(str(plan["wall_seconds"])) <= LIMIT_SECONDS + SLACK_SECONDS
    assert [one["tasks"] for one in passes] == [4] + [2] * (len(passes) - 1)
    assert [one["budget"] for one in passes] == [300 * 5**index for index in range(len(passes))]
    with session_scope(url) as session:
        for index, one in enumerate(passes):
            run = session.get_one(Run, one["run_id"])
            assert run.status == "finished" and run.config["plan"]["pass"] == index + 1
            covered = set(session.scalars(select(RunTask.task_id).where(RunTask.run_id == run.id)))
            assert covered == (set(SOLVED_AT_ONCE) | set(UNSOLVED) if index == 0 else set(UNSOLVED))
    exported = batt("export", *(f"--run={one['run_id']}" for one in passes), "-o", "plan.json", env=env, cwd=cwd)
    assert exported.returncode == 0, exported.stderr
    assert set(json.loads((cwd / "plan.json").read_text())) == set(SOLVED_AT_ONCE) | set(UNSOLVED)


def test_an_embedded_time_plan_deepens_only_the_unsolved_and_ends_on_time(tmp_path: Path) -> None:
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    check_plan(planned_run(env, tmp_path), env["BATT_DATABASE_URL"], tmp_path, env)


def test_a_time_plan_refuses_detach_and_a_bad_duration(tmp_path: Path) -> None:
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    for args, said in ((["--time-limit", "1m", "--detach"], "no --detach"), (["--time-limit", "soon"], "duration")):
        done = batt("run", "--limit", "1", *args, env=env, cwd=tmp_path)
        assert done.returncode == 2 and said in done.stderr, done.stderr
