"""`batt show TASK --candidates N`: the N best distinct candidates of a task, near misses included.

Best is the one ranking (queries.ranked_solvers); distinct is by what they output: the database keeps no
output grids, so candidates are run again (show.solver_view) and one whose outputs on every demo and test
input equal a better one's is skipped. The per-sample scores come from the stored evaluation.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation
from batt_tasks.db.queries import ranked_solvers, task_key_for, task_payload_of
from batt_tasks.payloads import GridList, TaskPayload
from batt_tasks.show import (
    ARC_COLOURS,
    CELL_INCHES,
    NO_SOLVER,
    TaskView,
    draw_grid,
    program_lines,
    sample_line,
    scores_text,
    solver_view,
)
from batt_tasks.text import shown

# Ranked solvers run per candidate wanted, at most: a task can have hundreds of near-identical near misses.
EXAMINED_PER_CANDIDATE = 8
ORIGIN_CHARS = 28  # of an origin under a panel; the text output has it whole


@dataclass(frozen=True)
class Contender:
    """One of the best distinct candidates: its outputs (view), where it came from, its stored sample scores."""

    rank: int  # 1 for the best
    view: TaskView  # view.solver is never None
    origin: str
    sample_scores: list[int | None]  # demo samples first, as stored by the score stage

    @property
    def md5(self) -> str:
        assert self.view.solver is not None
        return self.view.solver.md5

    @property
    def program(self) -> str:
        """As the whitelist rebuilds it: never the stored text."""
        assert self.view.solver is not None
        return "\n".join(program_lines(self.view.solver.program))


@dataclass(frozen=True)
class Gallery:
    """A task and its best distinct candidates, best first (fewer than asked when the task has fewer)."""

    frame: TaskView  # the task alone: inputs, expected outputs, sample labels
    contenders: list[Contender]
    wanted: int

    @property
    def task(self) -> TaskPayload:
        return self.frame.task


def gallery(session: Session, task_id: str, run_id: int | None, count: int, timeout: float = 1.0) -> Gallery:
    """The task's `count` best candidates with distinct outputs; LookupError when the task is unknown.

    Runs the candidates in this process's main thread (the per-sample timer is SIGPROF).
    """
    task_key = task_key_for(session, task_id, run_id)
    if task_key is None:
        raise LookupError(f"no task {task_id} in the database")
    task = task_payload_of(session, task_key)
    samples = len(task["train"]) + len(task["test"])
    frame = TaskView(task, None, [None] * samples, [NO_SOLVER] * samples, [None] * samples)
    ranked = ranked_solvers(session, task_key, run_id=run_id, limit=count * EXAMINED_PER_CANDIDATE)
    stored = _stored(session, task_key, [solver.md5 for solver in ranked], run_id)
    views: list[TaskView] = []
    seen: set[tuple[Any, ...]] = set()
    for solver in ranked:
        view = solver_view(task, solver, timeout)
        outputs = _outputs_key(view.outputs)
        if outputs not in seen:
            seen.add(outputs)
            views.append(view)
        if len(views) == count:
            break
    contenders = [_contender(rank, view, stored) for rank, view in enumerate(views, start=1)]
    return Gallery(frame, contenders, count)


def _contender(rank: int, view: TaskView, stored: dict[str, tuple[str, list[Any]]]) -> Contender:
    assert view.solver is not None
    origin, samples = stored.get(view.solver.md5, ("unknown", []))
    scores = [sample.get("score") for sample in samples] if len(samples) == len(view.statuses) else []
    return Contender(rank, view, origin, scores or [None] * len(view.statuses))


def _stored(session: Session, task_key: str, md5s: list[str], run_id: int | None) -> dict[str, tuple[str, list[Any]]]:
    """Origin and per-sample rows of each solver's first clean evaluation on the task (of the run, if given)."""
    query = (
        select(Evaluation.solver_md5, Evaluation.origin, Evaluation.samples)
        .where(Evaluation.task_key == task_key, Evaluation.status == "ok", Evaluation.solver_md5.in_(md5s))
        .order_by(Evaluation.id)
    )
    if run_id is not None:
        query = query.where(Evaluation.run_id == run_id)
    stored: dict[str, tuple[str, list[Any]]] = {}
    for md5, origin, samples in session.execute(query):
        stored.setdefault(md5, (origin, samples))
    return stored


def _outputs_key(outputs: list[GridList | None]) -> tuple[Any, ...]:
    return tuple(None if grid is None else tuple(map(tuple, grid)) for grid in outputs)


def describe_gallery(found: Gallery) -> str:
    """A plain-text list of the candidates (scores, origin, program, each sample), control characters escaped."""
    task = found.task
    lines = [f"task {task['id']} ({task['key']}): {len(task['train'])} demo, {len(task['test'])} test pairs"]
    if not found.contenders:
        lines.append("no candidate evaluated yet")
    else:
        lines.append(
            f"{len(found.contenders)} best distinct candidates of {found.wanted} asked "
            "(demo score, then size, then md5; distinct by their outputs):"
        )
    for contender in found.contenders:
        lines += ["", *_contender_lines(contender)]
    return "\n".join(shown(line) for line in lines)


def _contender_lines(contender: Contender) -> list[str]:
    view, solver = contender.view, contender.view.solver
    assert solver is not None
    head = f"#{contender.rank} {solver.md5} origin {contender.origin} (run {solver.run_id}): size {solver.size}, "
    samples = [
        f"    {view.label(i)}: {sample_line(view, i)}{_score_note(contender.sample_scores[i])}"
        for i in range(len(view.statuses))
    ]
    return [head + scores_text(solver), *(f"    {line}" for line in contender.program.split("\n")), *samples]


def _score_note(score: int | None) -> str:
    return "" if score is None else f" [score {score}]"


def render_gallery_png(found: Gallery, path: Path) -> Path:
    """One row per sample: input | expected | each candidate's output, its score and origin under it."""
    import matplotlib

    matplotlib.use("Agg")  # no display; never open a window
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    colours = ListedColormap(ARC_COLOURS)
    frame, columns = found.frame, 2 + max(1, len(found.contenders))
    rows = len(frame.inputs)
    size = (columns * CELL_INCHES, rows * (CELL_INCHES + 0.3) + 0.6)
    figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    try:
        for index, row in enumerate(axes):
            draw_grid(row[0], frame.inputs[index], f"{frame.label(index)} input", colours)
            draw_grid(row[1], frame.expected[index], "expected", colours, missing="unknown")
            for axis, contender in zip(row[2:], found.contenders, strict=False):
                _draw_output(axis, contender, index, colours)
            for axis in row[2 + len(found.contenders) :]:
                draw_grid(axis, None, "no candidate", colours, missing="")
        figure.suptitle(_title(found), fontsize=12)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path


def _draw_output(axis: Any, contender: Contender, index: int, colours: Any) -> None:
    view = contender.view
    draw_grid(axis, view.outputs[index], f"#{contender.rank}: {view.statuses[index]}", colours)
    score = contender.sample_scores[index]
    origin = shown(contender.origin)
    origin = origin if len(origin) <= ORIGIN_CHARS else origin[: ORIGIN_CHARS - 1] + "…"
    axis.set_xlabel(f"score {'?' if score is None else score}\n{origin}", fontsize=8)


def _title(found: Gallery) -> str:
    task = shown(found.task["id"])
    if not found.contenders:
        return f"task {task}: no candidate evaluated yet"
    return f"task {task}: {len(found.contenders)} best distinct candidates"
