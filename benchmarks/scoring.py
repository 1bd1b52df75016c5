"""Grids scored per second: NumPy vs CuPy, in batches of 1, 100 and 10,000, measured in one run.

The grids are deterministic (a NumPy Generator with a fixed seed) and shaped like the pipeline's: the
expected grids are lists of rows of 24-30 x 24-30 cells, the outputs are wire text (what the score stage
receives from validate), about 10% of them equal to their expected grid (score 1000), about 5% missing
(score 0), and the rest near misses (a few cells changed, a fifth of them with a side one cell off).
Each timed call is score_grids(outputs, expected, backend) itself: padding to 30 x 30 on the host and,
for CuPy, the copies to the GPU, the kernels and the copy of the scores back (which synchronises).
A batch size is called until at least --min-seconds have passed (and at least 3 times), each call on the
next slice of the pool of grids; the median call gives grids/s and microseconds per grid.
One untimed call per backend and batch size comes first (CuPy compiles its kernels then).
When both backends exist, the script asserts they give identical scores on the whole pool.

Usage: python benchmarks/scoring.py [--batch-sizes 1,100,10000] [--min-seconds 1.0] [--seed 0]
"""

import argparse
import json
import statistics
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from batt_tasks.payloads import grid_text
from batt_tasks.stages.score import EXACT, ScoreBackend, get_backend, score_grids


def make_grids(count: int, seed: int) -> tuple[list[str | None], list[list[list[int]]]]:
    """`count` (output text or None, expected rows) pairs; the same seed gives the same grids."""
    rng = np.random.default_rng(seed)
    outputs: list[str | None] = []
    expected: list[list[list[int]]] = []
    for _ in range(count):
        height, width = (int(side) for side in rng.integers(24, 31, size=2))
        target = rng.integers(0, 10, size=(height, width), dtype=np.int8)
        kind = rng.random()
        if kind < 0.10:
            output: np.ndarray | None = target.copy()
        elif kind < 0.15:
            output = None
        else:
            output = target.copy()
            if rng.random() < 0.2:  # one side a cell longer or shorter (staying within 30)
                axis = int(rng.integers(0, 2))
                if output.shape[axis] < 30 and rng.random() < 0.5:
                    extra = rng.integers(0, 10, size=(1, width) if axis == 0 else (height, 1), dtype=np.int8)
                    output = np.concatenate([output, extra], axis=axis)
                else:
                    output = output[:-1] if axis == 0 else output[:, :-1]
            changed = int(rng.integers(1, 40))
            rows = rng.integers(0, output.shape[0], size=changed)
            columns = rng.integers(0, output.shape[1], size=changed)
            output[rows, columns] = (output[rows, columns] + rng.integers(1, 10, size=changed)) % 10
        outputs.append(None if output is None else grid_text(output.tolist()))
        expected.append(target.tolist())
    return outputs, expected


def usable_backends() -> tuple[list[ScoreBackend], str | None]:
    """NumPy, plus CuPy when it imports and sees a GPU; otherwise the reason it is left out."""
    backends = [get_backend("numpy")]
    try:
        backends.append(get_backend("cupy"))
    except RuntimeError as error:
        return backends, str(error)
    return backends, None


def time_batches(
    backend: ScoreBackend, outputs: list, expected: list, size: int, min_seconds: float
) -> dict[str, float | int]:
    """Median seconds of score_grids on `size` grids, over calls on successive slices of the pool."""
    pool = len(outputs)
    score_grids(outputs[:size], expected[:size], backend)  # warm-up, untimed
    calls: list[float] = []
    start = 0
    spent = 0.0
    while spent < min_seconds or len(calls) < 3:
        if start + size > pool:
            start = 0
        batch_outputs, batch_expected = outputs[start : start + size], expected[start : start + size]
        began = time.perf_counter()
        score_grids(batch_outputs, batch_expected, backend)
        calls.append(time.perf_counter() - began)
        spent += calls[-1]
        start += size
    median = statistics.median(calls)
    return {"calls": len(calls), "median_seconds": median, "grids_per_second": size / median,
            "microseconds_per_grid": 1e6 * median / size}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", default="1,100,10000")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="timed seconds per backend and batch size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.batch_sizes.split(",")]
    console = Console()

    outputs, expected = make_grids(max(sizes), args.seed)
    backends, missing = usable_backends()
    if missing:
        console.print(f"CuPy left out, NumPy alone is measured: {missing}")

    reference = score_grids(outputs, expected, backends[0])
    for backend in backends[1:]:
        scores = score_grids(outputs, expected, backend)
        assert scores == reference, f"{backend.name} scores differ from numpy's on {len(outputs)} grids"
    exact, zero = reference.count(EXACT), reference.count(0)

    figures: dict[str, dict[str, dict]] = {}
    for backend in backends:
        figures[backend.name] = {str(size): time_batches(backend, outputs, expected, size, args.min_seconds)
                                 for size in sizes}  # fmt: skip

    table = Table(title=f"score_grids on {len(outputs)} grids ({exact} exact, {zero} scoring 0, seed {args.seed})")
    for column in ("backend", "batch", "calls", "median call", "grids/s", "µs/grid", "vs numpy"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for name, by_size in figures.items():
        for size, result in by_size.items():
            ratio = figures["numpy"][size]["median_seconds"] / result["median_seconds"]
            table.add_row(name, size, str(result["calls"]), f"{1e3 * result['median_seconds']:.3f} ms",
                          f"{result['grids_per_second']:,.0f}", f"{result['microseconds_per_grid']:.2f}",
                          f"{ratio:.2f}x")  # fmt: skip
    console.print(table)
    if len(backends) > 1:
        console.print(f"identical scores from {', '.join(b.name for b in backends)} on all {len(outputs)} grids")

    def summary(by_size: dict[str, dict]) -> dict[str, dict[str, float]]:
        return {size: {"grids_per_second": round(result["grids_per_second"], 1),
                       "microseconds_per_grid": round(result["microseconds_per_grid"], 3)}
                for size, result in by_size.items()}  # fmt: skip

    print(json.dumps({
        "grids": len(outputs),
        "exact": exact,
        "seed": args.seed,
        "numpy": summary(figures["numpy"]),
        "cupy": summary(figures["cupy"]) if "cupy" in figures else None,
        "cupy_unavailable": missing,
        "identical_scores": True if len(backends) > 1 else None,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
