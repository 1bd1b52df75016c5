"""The fingerprint of a candidate's test prediction: what tells two solvers' attempts apart once grids are dropped."""

import hashlib

from batt_tasks.payloads import Batch, SampleRun, prediction_md5
from batt_tasks.stages.score import get_backend, prediction_of, score_batch


def _ok(output: str) -> SampleRun:
    return {"status": "ok", "output": output, "error": None, "seconds": 0.0}


def _failed() -> SampleRun:
    return {"status": "error", "output": None, "error": "ValueError: no", "seconds": 0.0}


def test_prediction_md5_is_the_md5_of_the_test_outputs_one_per_line() -> None:
    assert prediction_md5(["12|34", "5"]) == hashlib.md5(b"12|34\n5").hexdigest()
    assert prediction_md5(["12|34", "5"]) != prediction_md5(["5", "12|34"])  # the order of the tests counts


def test_a_prediction_needs_an_ok_output_on_every_test_input() -> None:
    demos = [_ok("1"), _failed()]  # demo samples never enter the prediction
    assert prediction_of([*demos, _ok("2"), _ok("3")], 2, 2) == prediction_md5(["2", "3"])
    assert prediction_of([*demos, _ok("2"), _failed()], 2, 2) is None
    assert prediction_of([*demos, _ok("2")], 2, 2) is None  # a test sample missing
    assert prediction_of(demos, 2, 0) is None  # no test input: nothing to submit


def test_score_batch_keeps_the_prediction_when_it_drops_the_grids() -> None:
    batch: Batch = {
        "run_id": 1,
        "batch_key": "t:0",
        "task": {
            "id": "t",
            "key": "k",
            "train": [{"input": [[1]], "output": [[2]]}],
            "test": [{"input": [[5]], "output": [[6]]}, {"input": [[7]], "output": None}],  # one answer unknown
        },
        "candidates": [
            {"source": "", "origin": "right", "samples": [_ok("2"), _ok("6"), _ok("8")]},
            {"source": "", "origin": "half", "samples": [_ok("2"), _ok("6"), _failed()]},
        ],
        "timings": {},
    }
    right, half = score_batch(batch, get_backend("numpy"))["candidates"]
    assert right["prediction"] == prediction_md5(["6", "8"])  # an unknown answer is still part of the prediction
    assert all(sample["output"] is None for sample in right["samples"])
    assert half["prediction"] is None
