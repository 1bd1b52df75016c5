"""One task's search: its own seed, cell rules, layouts, crops, panels, stamps and cell rules on views learned from
the demos, typed enumeration, then mutations of every known solver, and last relative rules on views.

The search runs programs only on the demo inputs and only to choose what the pipeline gets: the
solvers it found (every demo output reproduced) and, to fill the task's share, programs whose
grids have the demo outputs' shapes. Validate and score in the pipeline stay the judge.
Stops early once `solutions` solvers are found. Deterministic for a seed while no task hits its
time limit (the budget, not the clock, is what normally ends a task).
"""

import itertools
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context

from batt_tasks.data import ArcTask
from batt_tasks.dsl.types import Grid
from batt_tasks.payloads import Candidate, grid_text
from batt_tasks.sandbox.run import alarm, apply_memory_cap, run_sample, timer_installed
from batt_tasks.sandbox.whitelist import Rejected, compile_solver
from batt_tasks.search.cellrules import learned_ranked_rules, learned_relative_rules, learned_rules
from batt_tasks.search.crops import learned_colour_picks, learned_crops, learned_masks
from batt_tasks.search.enumeration import Enumerator, program_source
from batt_tasks.search.layouts import learned_layouts
from batt_tasks.search.mutate import demo_colours, mutate, neighbours, prepared_seeds
from batt_tasks.search.panels import learned_block_rules, learned_overlays, learned_shrinks
from batt_tasks.search.stamps import learned_stamps
from batt_tasks.search.views import RELATIVE, learned_view_rules
from batt_tasks.solvers import seed_sources

# The budget's share for mutations (the rest enumerates): measured on 100 ARC-AGI-1 evaluation tasks,
# a half solved no more tasks than a tenth, in 2.7 times the time.
MUTATION_SHARE = 10
# A mutation slower than this on one demo input is dropped from the search: seeds take a tenth of a
# millisecond, and a few accidental all-pairs programs would otherwise eat a task's whole time.
SCREEN_SECONDS = 0.05
# How often a search process looks whether the run's process is still there.
OWNER_POLL_SECONDS = 1.0
# Grace after the search's own deadline before the hard alarm stops a primitive that overruns.
HARD_STOP_GRACE = 5.0


@dataclass(frozen=True)
class SearchOptions:
    """How hard to search each task."""

    budget: int = 20_000  # programs tried per task: 9/10 enumerated, then 1/10 mutated (until a solver)
    depth: int = 3  # most calls in an enumerated program; 0 = seeds and mutations only
    keep: int = 32  # candidates per task sent to the pipeline
    seconds: float = 60.0  # wall-time limit of one task's search
    solutions: int = 1  # stop a task after this many solvers
    seed: int = 0
    sample_timeout: float = 1.0  # a mutation runs on a demo input for at most this or SCREEN_SECONDS
    memory_cap_mb: int = 1024


@dataclass
class SearchCounts:
    """What one or many tasks' searches did."""

    enumerated: int = 0  # programs the enumerator built
    after_textual: int = 0  # of those and the mutations, distinct texts
    after_observational: int = 0  # distinct values on the demo inputs
    mutated: int = 0  # mutated programs tried
    failed_first_demo: int = 0  # mutations that raised or gave no grid on the first demo: not run further
    solved_tasks: int = 0  # tasks where the search found a solver
    timed_out_tasks: int = 0

    def add(self, other: "SearchCounts") -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class SearchResult:
    task_id: str
    candidates: list[Candidate]
    counts: SearchCounts = field(default_factory=SearchCounts)
    seconds: float = 0.0
    stopped_by: str = "depth"

    @property
    def best_origin(self) -> str | None:
        """Where the first solver came from (seed, cellrule, layout, crop, enumerate:N, mutate:...)."""
        return self.candidates[0]["origin"] if self.counts.solved_tasks else None


Stop = Callable[[], bool]


class SearchOverrun(BaseException):
    """The hard alarm: a single primitive call ran past the task's deadline and grace."""


def search_task(task: ArcTask, options: SearchOptions, stop: Stop | None = None) -> SearchResult:
    """Search one task and choose its candidates for the pipeline.

    Whatever ends it (the budget, a solver, its time limit, its memory cap, `stop` saying the run was
    cancelled), what it found so far is kept and counted.
    """
    started = time.monotonic()
    deadline = started + options.seconds
    result = SearchResult(task.id, [])
    chosen = Chosen(options.keep)
    inputs = [grid for grid, _ in task.train]
    outputs = [grid for _, grid in task.train]
    tests = [grid for grid, _ in task.test]
    own = seed_sources().get(task.id)
    if own is not None:
        chosen.solvers.append({"source": own, "origin": f"seed:{task.id}"})
    if len(chosen.solvers) < options.solutions:
        # Cheap (a few ms) and, where they apply to the test inputs, right on every task measured so far.
        chosen.solvers += [_record(rule, "cellrule") for rule in learned_rules(task.train, tests)]
        if not chosen.solvers:
            chosen.solvers += [_record(rule, "rankedrule") for rule in learned_ranked_rules(task.train, tests)]
        if not chosen.solvers:
            chosen.solvers += [_record(rule, "relativerule") for rule in learned_relative_rules(task.train, tests)]
        chosen.solvers += [_record(layout, "layout") for layout in learned_layouts(task.train, tests)]
        crops = learned_crops(task.train, tests) or learned_masks(task.train, tests)
        crops = crops or learned_colour_picks(task.train, tests)
        chosen.solvers += [_record(crop, "crop") for crop in crops]
        panels = learned_overlays(task.train, tests) + learned_shrinks(task.train, tests)
        panels += learned_block_rules(task.train, tests)
        chosen.solvers += [_record(expression, "panels") for expression in panels]
        chosen.solvers += [_record(expression, "stamp") for expression in learned_stamps(task.train, tests)]
        if not chosen.solvers:
            chosen.solvers += [_record(rule, "viewrule") for rule in learned_view_rules(task.train, tests, deadline)]
    if len(chosen.solvers) < options.solutions:
        try:
            mutation_budget = options.budget // MUTATION_SHARE
            _enumerate(inputs, outputs, options, options.budget - mutation_budget, deadline, chosen, result, stop)
            if len(chosen.solvers) < options.solutions and result.stopped_by not in ("time", "cancelled"):
                _mutations(task, options, mutation_budget, deadline, chosen, result, stop)
        except MemoryError:
            result.stopped_by = "memory"
        if not chosen.solvers and result.stopped_by not in ("time", "cancelled"):
            # The loosest learner last: on a view, a rule that copies whatever colour a cell sees can fit demos
            # that a right enumerated program explains too.
            relative = learned_view_rules(task.train, tests, deadline, RELATIVE)
            chosen.solvers += [_record(rule, "viewrule") for rule in relative]
    else:
        result.stopped_by = "solved"
    result.candidates = chosen.records()
    result.counts.solved_tasks = int(bool(chosen.solvers))
    result.counts.timed_out_tasks = int(result.stopped_by == "time")
    result.seconds = time.monotonic() - started
    return result


def _enumerate(
    inputs: list[Grid], outputs: list[Grid], options: SearchOptions, budget: int, deadline: float, chosen: "Chosen",
    result: SearchResult, stop: Stop | None,
) -> None:  # fmt: skip
    enumerator = Enumerator(inputs, outputs, near_limit=options.keep)
    try:
        with alarm(options.seconds + HARD_STOP_GRACE, SearchOverrun):
            found = enumerator.run(options.depth, budget, deadline, options.solutions, stop)
    except SearchOverrun:
        found = enumerator.result
        found.stopped_by = "time"
    except MemoryError:
        # What was enumerated before the cap is kept; the levels it built are let go first.
        enumerator.by_cost.clear()
        enumerator.seen.clear()
        found = enumerator.result
        found.stopped_by = "memory"
    result.stopped_by = found.stopped_by
    counts = result.counts
    counts.enumerated = counts.after_textual = found.counts.enumerated
    counts.after_observational = found.counts.observational
    chosen.solvers += [_record(node.expression, f"enumerate:{node.cost}") for node in found.solvers]
    chosen.near += [_record(node.expression, f"enumerate:{node.cost}") for node in found.near]


class Chosen:
    """The candidates a task sends on: solvers first, then near misses, at most `keep`."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.solvers: list[Candidate] = []
        self.near: list[Candidate] = []

    def records(self) -> list[Candidate]:
        return (self.solvers + self.near)[: max(self.keep, len(self.solvers))]


def _record(expression: str, origin: str) -> Candidate:
    return {"source": program_source(expression), "origin": origin}


def _mutations(
    task: ArcTask, options: SearchOptions, tries: int, deadline: float, chosen: Chosen, result: SearchResult,
    stop: Stop | None,
) -> None:  # fmt: skip
    """Every program one change away from a known solver, then random two-change ones, up to `tries`.

    Each is screened on the first demo before the others; those that agree with an earlier one on
    every demo input are dropped (observational dedup, as in the enumeration).
    """
    seeds = prepared_seeds()
    if not seeds or tries <= 0:
        return
    rng = random.Random(f"{options.seed}:{task.id}:mutate")
    colours = demo_colours(task.train)
    texts: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    counts = result.counts
    one_change = ((seed, source) for seed in seeds for source in neighbours(seed, colours))
    two_changes = ((seed, mutate(seed, rng, colours, changes=2)) for seed in itertools.cycle(seeds))
    with timer_installed():
        for seed, source in itertools.islice(itertools.chain(one_change, two_changes), tries):
            if time.monotonic() > deadline:
                result.stopped_by = "time"
                return
            if stop is not None and counts.mutated % 64 == 0 and stop():
                result.stopped_by = "cancelled"
                return
            counts.mutated += 1
            if source is None or source in texts:
                continue
            texts.add(source)
            counts.after_textual += 1
            verdict, outputs = _screen(source, task.train, min(options.sample_timeout, SCREEN_SECONDS))
            if verdict == "failed":
                counts.failed_first_demo += 1
                continue
            if outputs in seen:
                continue
            seen.add(outputs)
            counts.after_observational += 1
            record: Candidate = {"source": source, "origin": f"mutate:{seed.name}"}
            if verdict == "solver":
                chosen.solvers.append(record)
                if len(chosen.solvers) >= options.solutions:
                    result.stopped_by = "solved"
                    return
            elif verdict == "near":
                chosen.near.append(record)


def _screen(source: str, pairs: Sequence[tuple[Grid, Grid]], timeout: float) -> tuple[str, tuple[str, ...]]:
    """The verdict and the outputs (as wire text) on the demo inputs.

    solver: every output reproduced; near: the outputs' shapes; other; failed: no grid on the first
    demo, and the other demos are not run.
    """
    try:
        solver = compile_solver(source)
    except Rejected:
        return "failed", ()
    outputs: list[str] = []
    for grid_in, _ in pairs:
        sample = run_sample(solver, grid_in, timeout)
        if sample["status"] != "ok":
            if not outputs:
                return "failed", ()
            return "other", (*outputs, sample["status"])
        outputs.append(sample["output"] or "")
    wanted = [grid_text(grid_out) for _, grid_out in pairs]
    if outputs == wanted:
        return "solver", tuple(outputs)
    shapes = all(
        len(got.split("|")) == len(want.split("|")) and len(got.split("|")[0]) == len(want.split("|")[0])
        for got, want in zip(outputs, wanted, strict=True)
    )
    return ("near" if shapes else "other"), tuple(outputs)


def search_tasks(
    tasks: Sequence[ArcTask], options: SearchOptions, processes: int
) -> Generator[SearchResult, None, None]:
    """Search every task in a pool of memory-capped child processes; results come in task order.

    A child that dies (killed from outside, or past its cap in a way Python could not catch) costs
    only its task's search: that task gets no candidates, and a new pool takes the rest. Closing the
    iterator early (Ctrl-C, SIGTERM) kills the children at once rather than wait for their searches.
    """
    pending = list(tasks)
    while pending:
        pool = ProcessPoolExecutor(
            max(1, processes), mp_context=get_context("forkserver"),
            initializer=_start_search_child, initargs=(options.memory_cap_mb, os.getpid()),
        )  # fmt: skip
        try:
            futures = [pool.submit(search_task, task, options) for task in pending]
            for task, future in zip(list(pending), futures, strict=True):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    pending.remove(task)
                    yield SearchResult(task.id, [], stopped_by="crashed")
                    break
                pending.remove(task)
                yield result
        finally:
            if pending:
                _kill_children(pool)
            pool.shutdown(wait=not pending, cancel_futures=True)


def _start_search_child(memory_cap_mb: int, owner: int) -> None:
    """A search process: memory-capped, and gone within a second of the run's process (`owner`) dying.

    Its parent is the forkserver, which outlives the run for as long as any of its children do (they hold
    its liveness pipe), so the kernel's parent-death signal cannot help: a watcher thread looks instead.
    The terminal's Ctrl-C reaches it too; the run's process answers it by killing the pool, so here it is
    ignored (else a process still starting or waiting for work prints a KeyboardInterrupt traceback).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    apply_memory_cap(memory_cap_mb)
    threading.Thread(target=_exit_without, args=(owner,), daemon=True, name="owner-watch").start()


def _exit_without(owner: int) -> None:
    while True:
        time.sleep(OWNER_POLL_SECONDS)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(1)


def _kill_children(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's searches now. The executor has no public way: its processes are in `_processes`."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
        process.join(1)
