"""Validate: run a candidate that passed inline on every demo and test input, in the sandbox (batt_tasks.sandbox:
its timer, memory cap and, in the embedded default, its pool of child processes)."""

import time
from collections.abc import Mapping

from batt_tasks.dsl.types import Grid
from batt_tasks.payloads import GridList, InlinedBatch, TaskPayload, ValidatedBatch, ValidatedCandidate, is_rejected
from batt_tasks.sandbox.run import ProgramRunner, candidate_status, failed_sample


def task_inputs(task: TaskPayload) -> list[Grid]:
    """Every demo input, then every test input, as DSL grids."""
    pairs: list[Mapping[str, GridList | None]] = [*task["train"], *task["test"]]
    return [tuple(tuple(row) for row in pair["input"]) for pair in pairs if pair["input"] is not None]


def validate_batch(batch: InlinedBatch, runner: ProgramRunner) -> ValidatedBatch:
    """The validate stage: run every candidate that passed inline on all of the task's inputs."""
    started = time.perf_counter()
    inputs = task_inputs(batch["task"])
    runnable = [c for c in batch["candidates"] if not is_rejected(c)]
    results = iter(runner.run_programs([c["program"] for c in runnable], inputs))
    candidates: list[ValidatedCandidate] = []
    for candidate in batch["candidates"]:
        if is_rejected(candidate):
            samples = [failed_sample("rejected", candidate["error"]) for _ in inputs]
            candidates.append({**candidate, "samples": samples})
            continue
        samples = next(results)
        status, error = candidate_status(samples)
        candidates.append({**candidate, "samples": samples, "status": status, "error": error})
    timings = {**batch["timings"], "validate": time.perf_counter() - started}
    return {**batch, "candidates": candidates, "timings": timings}
