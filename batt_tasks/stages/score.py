"""Score: 0-1000 per sample against the expected grid, every output of a batch in one array operation.

The formula, for an output O (h x w) and the expected grid E (H x W):

    score = 1000                                         if O equals E
    score = floor(100 * shape + 899 * cells)             otherwise
    shape = ((h == H) + (w == W)) / 2                    agreement of the two sides
    cells = matching cells / (max(h, H) * max(w, W))     cells equal at the same (i, j), over the union box

so a near miss scores below 999 and only an exact grid reaches 1000; a candidate with no output scores 0.
Demo and test samples are scored alike and kept apart; a solver is selected on demo scores alone.
Grids are padded to 30 x 30 (outputs with -1, expected with -2, so padding never matches).
"""

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from batt_tasks.payloads import (
    GridList,
    GridText,
    SampleRun,
    ScoredBatch,
    ScoredCandidate,
    ValidatedBatch,
    ValidatedCandidate,
    prediction_md5,
)

SIDE = 30
EXACT = 1000


@dataclass(frozen=True)
class ScoreBackend:
    """An array library with NumPy's interface: NumPy itself, or CuPy on the GPU this process owns."""

    name: str
    xp: ModuleType

    def to_host(self, array: Any) -> np.ndarray:
        return array.get() if self.name == "cupy" else np.asarray(array)


def owned_gpu() -> str | None:
    """The GPU this process was given: CUDA_VISIBLE_DEVICES, or in a container the NVIDIA runtime's pick."""
    for variable in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"):
        value = os.environ.get(variable, "")
        if value not in ("", "-1", "void", "none", "all"):
            return value
    return None


def get_backend(choice: str = "auto") -> ScoreBackend:
    """NumPy, or CuPy when asked for (or on auto, when this process owns a GPU); CuPy is imported only here."""
    if choice == "numpy" or (choice == "auto" and owned_gpu() is None):
        return ScoreBackend("numpy", np)
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
    except Exception as error:
        if choice == "cupy":
            raise RuntimeError(f"score backend 'cupy' requested but unusable: {error}") from error
        return ScoreBackend("numpy", np)
    return ScoreBackend("cupy", cupy)


def score_grids(
    outputs: Sequence[GridList | GridText | None], expected: Sequence[GridList], backend: ScoreBackend
) -> list[int]:
    """Scores of outputs[k] against expected[k], computed in one batch."""
    if not outputs:
        return []
    host_outputs, output_shapes = _pad(outputs, -1)
    host_expected, expected_shapes = _pad(expected, -2)
    xp = backend.xp
    out, exp = xp.asarray(host_outputs), xp.asarray(host_expected)
    oh, ow = xp.asarray(output_shapes[:, 0]), xp.asarray(output_shapes[:, 1])
    eh, ew = xp.asarray(expected_shapes[:, 0]), xp.asarray(expected_shapes[:, 1])
    matching = (out == exp).sum(axis=(1, 2))
    union = xp.maximum(oh, eh) * xp.maximum(ow, ew)
    same_shape = (oh == eh) & (ow == ew)
    exact = same_shape & (matching == eh * ew)
    shape = ((oh == eh).astype(xp.float64) + (ow == ew).astype(xp.float64)) / 2
    partial = xp.floor(100 * shape + 899 * matching / xp.maximum(union, 1)).astype(xp.int64)
    scores = xp.where(exact, EXACT, partial)
    return [int(score) for score in backend.to_host(scores)]


def _pad(grids: Sequence[GridList | GridText | None], fill: int) -> tuple[np.ndarray, np.ndarray]:
    """Grids (lists of rows or wire text) stacked into an (n, 30, 30) int8 array, and their (height, width)."""
    stacked = np.full((len(grids), SIDE, SIDE), fill, dtype=np.int8)
    shapes = np.zeros((len(grids), 2), dtype=np.int64)
    for index, grid in enumerate(grids):
        if not grid:
            continue
        if isinstance(grid, str):
            height = grid.count("|") + 1
            array = (np.frombuffer(grid.replace("|", "").encode(), dtype=np.uint8) - ord("0")).reshape(height, -1)
        else:
            array = np.asarray(grid, dtype=np.int8)
        shapes[index] = array.shape
        clipped = array[:SIDE, :SIDE]
        stacked[index, : clipped.shape[0], : clipped.shape[1]] = clipped
    return stacked, shapes


def score_batch(batch: ValidatedBatch, backend: ScoreBackend) -> ScoredBatch:
    """The score stage: per-sample scores, demo and test means, and exactness, for every candidate."""
    started = time.perf_counter()
    pairs: list[Mapping[str, GridList | None]] = [*batch["task"]["train"], *batch["task"]["test"]]
    expected = [pair["output"] for pair in pairs]
    demo_count = len(batch["task"]["train"])
    known = {index: grid for index, grid in enumerate(expected) if grid is not None}
    outputs: list[GridText | None] = []
    targets: list[GridList] = []
    for candidate in batch["candidates"]:
        samples = candidate.get("samples", [])
        for index, grid in known.items():
            outputs.append(samples[index]["output"] if index < len(samples) else None)
            targets.append(grid)
    flat = iter(score_grids(outputs, targets, backend))
    test_count = len(expected) - demo_count
    candidates = [
        _with_scores(c, [next(flat) if i in known else None for i in range(len(expected))], demo_count, test_count)
        for c in batch["candidates"]
    ]
    timings = {**batch["timings"], "score": time.perf_counter() - started}
    return {**batch, "candidates": candidates, "timings": timings}


def prediction_of(samples: Sequence[SampleRun], demo_count: int, test_count: int) -> str | None:
    """The fingerprint (prediction_md5) of a candidate's test outputs; None unless every test input gave one."""
    tests = samples[demo_count:]
    outputs = [s["output"] for s in tests if s["status"] == "ok" and s["output"] is not None]
    return prediction_md5(outputs) if test_count and len(tests) == len(outputs) == test_count else None


def _with_scores(
    candidate: ValidatedCandidate, scores: list[int | None], demo_count: int, test_count: int
) -> ScoredCandidate:
    demo = [score or 0 for score in scores[:demo_count]]
    test = [score for score in scores[demo_count:] if score is not None]
    return {
        **candidate,
        # Computed before the grids go: the fingerprint is all that tells two solvers' attempts apart later.
        "prediction": prediction_of(candidate.get("samples", []), demo_count, test_count),
        # The grids have been scored: later stages (and chain messages) carry only statuses and scores.
        "samples": [{**sample, "output": None} for sample in candidate.get("samples", [])],
        "scores": scores,
        "demo_score": sum(demo) / len(demo) if demo else 0.0,
        "test_score": sum(test) / len(test) if test else None,
        "demo_exact": bool(demo) and all(score == EXACT for score in demo),
        "test_exact": all(score == EXACT for score in test) if test else None,
    }
