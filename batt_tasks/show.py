"""`batt show TASK`: a task's grids beside its best solver's outputs, as text for the terminal and as a PNG.

The database keeps scores, not output grids (score drops them), so the best solver is run again here on
every demo and test input, through the same whitelist and compilation as the validate stage. A row is
outside text (anyone with the database file can edit it): the program shown is the whitelist's rebuilt
form, never the stored text, and every line goes through `shown`, so no escape sequence reaches the terminal.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from batt_tasks.db.queries import RankedSolver, ranked_solvers, task_key_for, task_payload_of
from batt_tasks.payloads import GridList, SampleRun, TaskPayload, grid_rows
from batt_tasks.sandbox.run import run_program
from batt_tasks.sandbox.whitelist import Rejected, rebuilt_source
from batt_tasks.text import shown

# The standard ARC palette, colour 0 to 9.
ARC_COLOURS = (
    "#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25",
)  # fmt: skip
NO_SOLVER = "no solver"
# A test pair whose answer is unknown: the solver ran, but there is nothing to compare with.
UNCHECKED = "ok"
CELL_INCHES = 2.4  # side of one grid's panel in the figure


@dataclass(frozen=True)
class TaskView:
    """Everything `batt show TASK` prints and draws."""

    task: TaskPayload
    solver: RankedSolver | None  # the best solver; None when the task has no clean evaluation
    outputs: list[GridList | None]  # the solver's output on every demo input, then every test input
    statuses: list[str]  # per sample: "exact", "wrong", "ok" (no expected grid), or the run status
    errors: list[str | None]  # per sample: why there is no output (error, timeout, ...)

    @property
    def expected(self) -> list[GridList | None]:
        return [pair["output"] for pair in _pairs(self.task)]

    @property
    def inputs(self) -> list[GridList]:
        return _inputs(self.task)

    def label(self, index: int) -> str:
        """The sample at index as "demo 2" or "test 1" (demo samples come first)."""
        demos = len(self.task["train"])
        return f"demo {index + 1}" if index < demos else f"test {index - demos + 1}"


def task_view(session: Session, task_id: str, run_id: int | None = None, timeout: float = 1.0) -> TaskView:
    """The task's grids and its best solver's outputs on them; LookupError when the task is unknown.

    Runs the solver in this process's main thread (the per-sample timer is SIGPROF).
    """
    task_key = task_key_for(session, task_id, run_id)
    if task_key is None:
        raise LookupError(f"no task {task_id} in the database")
    task = task_payload_of(session, task_key)
    best = ranked_solvers(session, task_key, run_id=run_id, limit=1)
    if not best:
        count = len(task["train"]) + len(task["test"])
        return TaskView(task, None, [None] * count, [NO_SOLVER] * count, [None] * count)
    return solver_view(task, best[0], timeout)


def solver_view(task: TaskPayload, solver: RankedSolver, timeout: float) -> TaskView:
    """The solver run again on every demo and test input of the task (in this main thread: SIGPROF)."""
    pairs = _pairs(task)
    runs = run_program(solver.program, [tuple(map(tuple, grid)) for grid in _inputs(task)], timeout)
    statuses = [_status(run, pair["output"]) for run, pair in zip(runs, pairs, strict=True)]
    return TaskView(task, solver, [_output(run) for run in runs], statuses, [run["error"] for run in runs])


def _pairs(task: TaskPayload) -> list[Mapping[str, GridList | None]]:
    """Every demo pair, then every test pair (whose output may be unknown)."""
    return [*task["train"], *task["test"]]


def _inputs(task: TaskPayload) -> list[GridList]:
    """Every demo input, then every test input (a task always has them: the loader checks)."""
    return [grid for pair in _pairs(task) if (grid := pair["input"]) is not None]


def _output(run: SampleRun) -> GridList | None:
    return grid_rows(run["output"]) if run["status"] == "ok" and run["output"] is not None else None


def _status(run: SampleRun, expected: GridList | None) -> str:
    if run["status"] != "ok" or run["output"] is None:
        return run["status"]
    if expected is None:
        return UNCHECKED
    return "exact" if grid_rows(run["output"]) == expected else "wrong"


def describe(view: TaskView) -> str:
    """A plain-text summary for the terminal, control characters escaped."""
    task = view.task
    pairs = f"{_count(len(task['train']), 'demo pair')}, {_count(len(task['test']), 'test pair')}"
    lines = [f"task {task['id']} ({task['key']}): {pairs}"]
    solver = view.solver
    if solver is None:
        lines.append("no solver evaluated yet")
    else:
        lines += [
            f"best solver {solver.md5} (run {solver.run_id}): size {solver.size}, {scores_text(solver)}",
            "",
            *program_lines(solver.program),
            "",
        ]
        lines += [f"{view.label(i)}: {sample_line(view, i)}" for i in range(len(view.statuses))]
    return "\n".join(shown(line) for line in lines)


def program_lines(program: str) -> list[str]:
    try:
        return rebuilt_source(program).rstrip("\n").split("\n")
    except Rejected as reason:
        return [f"(the stored program is refused by the whitelist: {reason})"]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def scores_text(solver: RankedSolver) -> str:
    # Scores are means of 0-1000 sample scores; one decimal tells a near miss (999.8) from exact.
    test = "n/a" if solver.test_score is None else f"{round(solver.test_score, 1):g}"
    return f"demo score {round(solver.demo_score, 1):g}, test score {test}"


def sample_line(view: TaskView, index: int) -> str:
    status, output, expected = view.statuses[index], view.outputs[index], view.expected[index]
    if status == "wrong" and output is not None and expected is not None:
        return f"wrong ({_difference(output, expected)})"
    if status == UNCHECKED:
        return f"ok ({_shape(output)} output, no expected grid)" if output is not None else status
    error = view.errors[index]
    return f"{status}: {error}" if error else status


def _difference(output: GridList, expected: GridList) -> str:
    if _shape(output) != _shape(expected):
        return f"{_shape(output)} output, expected {_shape(expected)}"
    cells = sum(a == b for got, want in zip(output, expected, strict=True) for a, b in zip(got, want, strict=True))
    return f"{cells} of {len(expected) * len(expected[0])} cells"


def _shape(grid: GridList | None) -> str:
    return f"{len(grid)}x{len(grid[0])}" if grid else "empty"


def render_png(view: TaskView, path: Path) -> Path:
    """One row per sample (demo rows first): input | expected output | solver output. Returns path."""
    # Imported here: matplotlib is slow to import and only this function needs it.
    import matplotlib

    matplotlib.use("Agg")  # no display; never open a window
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    colours = ListedColormap(ARC_COLOURS)
    rows = len(view.inputs)
    figure, axes = plt.subplots(rows, 3, figsize=(3 * CELL_INCHES, rows * CELL_INCHES + 0.6), squeeze=False)
    try:
        for index in range(rows):
            row = axes[index]
            draw_grid(row[0], view.inputs[index], f"{view.label(index)} input", colours)
            draw_grid(row[1], view.expected[index], "expected", colours, missing="unknown")
            draw_grid(row[2], view.outputs[index], f"solver: {view.statuses[index]}", colours, missing="no output")
        figure.suptitle(_figure_title(view), fontsize=12)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path


def _figure_title(view: TaskView) -> str:
    if view.solver is None:
        return f"task {shown(view.task['id'])}: no solver evaluated yet"
    return f"task {shown(view.task['id'])}: solver {shown(view.solver.md5[:8])}, {scores_text(view.solver)}"


def draw_grid(axis: Any, grid: GridList | None, title: str, colours: Any, missing: str = "no output") -> None:
    axis.set_title(title, fontsize=10)
    axis.set_xticks([])
    axis.set_yticks([])
    if grid is None:
        axis.text(0.5, 0.5, missing, ha="center", va="center", fontsize=11, color="#555555")
        return
    height, width = len(grid), len(grid[0])
    axis.imshow(grid, cmap=colours, vmin=0, vmax=9, interpolation="nearest")
    # Cell borders as minor grid lines on the half-integers between cells.
    axis.set_xticks([x - 0.5 for x in range(1, width)], minor=True)
    axis.set_yticks([y - 0.5 for y in range(1, height)], minor=True)
    axis.grid(which="minor", color="#555555", linewidth=0.5)
    axis.tick_params(which="both", length=0)
