"""A candidate that kills its worker every time is recorded as failed after the redelivery cap, never looped.

The killer spends each sample in one long C call (materialising a 30-million-element tuple), which the
per-sample timer cannot interrupt, so every delivery of its batch runs into the batch's hard time limit and
its worker child is killed. Each kill requeues the batch; from the second delivery the redelivery guard marks
each candidate before running it, charges the one found running at a death, and after
BATT_MAX_REDELIVERIES charges records it as failed. The run goes on: an ordinary candidate is evaluated too.
"""

from pathlib import Path

import pytest
from sqlalchemy import select

from batt_tasks.db.models import Evaluation, Run
from batt_tasks.db.session import session_scope
from batt_tasks.solvers import seed_sources
from tests.conftest import batt, produce_candidates, running_cluster

KILLER = "def solve(I):\n    x1 = interval(0, 30000000, 1)\n    O = size(x1)\n    return O\n"


@pytest.mark.slow
def test_a_candidate_that_kills_its_worker_every_time_is_failed_after_the_cap(
    tmp_path: Path, redis_keyspace: str
) -> None:
    settings = {
        "BATT_SAMPLE_TIMEOUT": "0.1",
        "BATT_VALIDATE_MARGIN": "1",  # the batch's hard limit: 6 samples x 0.1 s + 1 s, less than 3 samples take
        "BATT_MEMORY_CAP_MB": "2048",  # room for the tuple: the kill must come from the time limit, not memory
        "BATT_MAX_REDELIVERIES": "2",
    }
    with running_cluster(tmp_path, redis_keyspace, workers=1, **settings) as env:
        candidates = [("killer", KILLER), ("seed", seed_sources()["007bbfb7"])]
        outcome = produce_candidates(env, "007bbfb7", candidates, 1, tmp_path)
        with session_scope(env["BATT_DATABASE_URL"]) as session:
            origins: dict[str, str] = outcome["origins"]  # type: ignore[assignment]
            query = select(Evaluation).where(Evaluation.run_id == outcome["run_id"])
            rows = {origins[e.origin]: e for e in session.scalars(query)}
            run = session.get_one(Run, outcome["run_id"])
            killer, seed = rows["killer"], rows["seed"]
            print(f"\nkiller: {killer.status}: {killer.error}; seed: {seed.status}; run {run.status}")
            assert len(rows) == 2 and run.status == "finished"
            assert killer.status == "error"
            assert killer.error is not None and "killed its worker process 2 times" in killer.error
            assert seed.status == "ok" and seed.demo_exact
        log = (Path(env["BATT_STATE_DIR"]) / "gpu0.log").read_text()
        assert log.count("Hard time limit") >= 3  # the first delivery, then one per charge
        assert batt("workers", env=env, cwd=tmp_path).returncode == 0  # the worker still serves
