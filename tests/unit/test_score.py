"""Score: the documented formula, exact-only 1000, batched, demo and test apart."""

import importlib.util

import pytest

from batt_tasks.payloads import Batch
from batt_tasks.stages.score import get_backend, score_batch, score_grids

NUMPY = get_backend("numpy")


def test_exact_grid_scores_1000() -> None:
    assert score_grids([[[1, 2], [3, 4]]], [[[1, 2], [3, 4]]], NUMPY) == [1000]


def test_missing_output_scores_0() -> None:
    assert score_grids([None], [[[1, 2], [3, 4]]], NUMPY) == [0]


def test_one_wrong_cell_of_four() -> None:
    # shape agrees on both sides (100) + 3/4 cells (floor(899 * 0.75) = 674)
    assert score_grids([[[1, 2], [3, 0]]], [[[1, 2], [3, 4]]], NUMPY) == [774]


def test_wrong_shape_counts_cells_over_the_union_box() -> None:
    # output 1x2 vs expected 2x2: width agrees (50), 2 matching cells of a 2x2 union (449)
    assert score_grids([[[1, 2]]], [[[1, 2], [3, 4]]], NUMPY) == [499]


def test_near_miss_never_reaches_999() -> None:
    expected = [[1] * 30 for _ in range(30)]
    almost = [row[:] for row in expected]
    almost[29][29] = 2
    assert score_grids([almost], [expected], NUMPY)[0] < 999


def test_batch_scores_each_pair() -> None:
    outputs = [[[1]], [[2]], None, [[1, 1]]]
    expected = [[[1]], [[1]], [[1]], [[1]]]
    assert score_grids(outputs, expected, NUMPY) == [1000, 100, 0, 50 + 449]


def test_score_batch_keeps_demo_and_test_apart() -> None:
    batch: Batch = {
        "run_id": 1,
        "batch_key": "t:0",
        "task": {
            "id": "t",
            "key": "k",
            "train": [{"input": [[1]], "output": "2"}, {"input": [[3]], "output": "4"}],
            "test": [{"input": [[5]], "output": [[6]]}, {"input": [[7]], "output": None}],
        },
        "candidates": [
            {
                "source": "",
                "origin": "test",
                "samples": [
                    {"status": "ok", "output": "2", "error": None, "seconds": 0.0},
                    {"status": "ok", "output": "4", "error": None, "seconds": 0.0},
                    {"status": "ok", "output": "0", "error": None, "seconds": 0.0},
                    {"status": "ok", "output": "8", "error": None, "seconds": 0.0},
                ],
            }
        ],
        "timings": {},
    }
    scored = score_batch(batch, NUMPY)["candidates"][0]
    assert scored["scores"] == [1000, 1000, 100, None]
    assert scored["demo_exact"] is True
    assert scored["demo_score"] == 1000
    assert scored["test_exact"] is False
    assert scored["test_score"] == 100


def test_wire_text_scores_like_lists() -> None:
    from batt_tasks.payloads import grid_rows, grid_text

    assert grid_text(((1, 2), (3, 4))) == "12|34"
    assert grid_rows("12|34") == [[1, 2], [3, 4]]
    outputs = ["12|34", "12|30", "12", None]
    expected = [[[1, 2], [3, 4]]] * 4
    assert (
        score_grids(outputs, expected, NUMPY)
        == score_grids([grid_rows(o) if o else None for o in outputs], expected, NUMPY)
        == [1000, 774, 499, 0]
    )


def test_backend_choice_follows_the_owned_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from batt_tasks.stages.score import owned_gpu

    for variable in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"):
        monkeypatch.delenv(variable, raising=False)
    assert owned_gpu() is None and get_backend("auto").name == "numpy"
    monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", "2")  # a container that reserved GPU 2
    assert owned_gpu() == "2"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert owned_gpu() == "2"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert owned_gpu() == "1"
    if importlib.util.find_spec("cupy") is None:
        assert get_backend("auto").name == "numpy"  # a GPU but no CuPy: NumPy, not a crash
        with pytest.raises(RuntimeError, match="cupy"):
            get_backend("cupy")
