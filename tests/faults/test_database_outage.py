"""PostgreSQL stops in the middle of a distributed run, for 15 s or until a worker has run into the outage,
whichever is later: the workers wait for it (persist retries with backoff, searches and the dedup wait in place),
the user is told while it waits, and when the database is back every candidate lands, once.

The stack (Redis, a private PostgreSQL, two workers, Flower) comes from ops/batt-stack, so the server stopped
here is one this test started, never the machine's own.
"""

import json
import subprocess
import time
from pathlib import Path

import pytest

from batt_tasks.db.session import get_engine
from tests.stack import finish, private_stack, run_rows, start_sweep, wait_for_first_rows

OUTAGE_SECONDS = 15
# The longest the database stays down waiting for a worker to notice; a run that still has work always does.
LONGEST_OUTAGE_SECONDS = 120
WAITED = ("retry: Retry in", "database unreachable during")


def _waits(state: Path) -> int:
    """How often the workers have waited for the database so far, by their logs."""
    return sum(path.read_text().count(said) for path in state.glob("gpu*.log") for said in WAITED)


def _pg_ctl(state: Path, *args: str) -> None:
    binary = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
    subprocess.run(["runuser", "-u", "postgres", "--", str(binary), "-D", str(state / "pgdata"), *args],
                   check=True, capture_output=True, timeout=60)  # fmt: skip


@pytest.mark.slow
def test_a_database_outage_mid_run_loses_nothing(tmp_path: Path) -> None:
    with private_stack(tmp_path, workers=2) as (env, state):
        url = env["BATT_DATABASE_URL"]
        try:
            producer = start_sweep(env, tmp_path, tasks=16)
            wait_for_first_rows(url, producer)
            get_engine(url).dispose()
            _pg_ctl(state, "-m", "immediate", "-w", "stop")
            stopped = time.monotonic()
            time.sleep(OUTAGE_SECONDS)
            while _waits(state) == 0 and time.monotonic() - stopped < LONGEST_OUTAGE_SECONDS:
                time.sleep(0.5)
            _pg_ctl(state, "-l", str(state / "logs" / "postgres.log"), "-o",
                    f"-p {env['BATT_PG_PORT']} -k /tmp -c listen_addresses=127.0.0.1", "-w", "start")  # fmt: skip
            (state / "postgres.pid").write_text((state / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
            stdout, stderr = finish(producer, tmp_path, state, 300)
            assert producer.returncode == 0, stderr[-3000:]
            assert "database unreachable" in stderr and "database back" in stderr, stderr[-3000:]
            assert "Traceback" not in stderr
            summary = json.loads(stdout)
            rows = run_rows(url, summary["run_id"])
            waits = _waits(state)
            print(f"\n{len(rows)} rows for {summary['after_dedup']} candidates; the workers waited {waits} times")
            assert summary["status"] == "finished"
            assert len(rows) == len(set(rows)) == summary["after_dedup"] == summary["evaluated"] > 0
            assert waits > 0  # the workers did wait out the outage
        finally:
            get_engine(url).dispose()
