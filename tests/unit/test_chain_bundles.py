"""How the producer groups per-task batches into chains."""

from hypothesis import given
from hypothesis import strategies as st

from batt_tasks.payloads import Batch
from batt_tasks.queue.producer import chain_bundles


def batch(key: str, candidates: int) -> Batch:
    task = {"id": key, "key": key, "train": [], "test": []}
    records = [{"source": f"{key}{index}", "origin": "test"} for index in range(candidates)]
    return {"run_id": 1, "batch_key": key, "task": task, "candidates": records, "timings": {}}  # type: ignore[typeddict-item]


def keys(bundles: list[list[Batch]]) -> list[list[str]]:
    return [[b["batch_key"] for b in bundle] for bundle in bundles]


def test_small_batches_share_a_chain_up_to_the_limit() -> None:
    batches = [batch("a", 30), batch("b", 30), batch("c", 10), batch("d", 32)]
    assert keys(chain_bundles(batches, 64)) == [["a", "b"], ["c", "d"]]


def test_a_batch_over_the_limit_rides_alone() -> None:
    batches = [batch("a", 10), batch("b", 100), batch("c", 10)]
    assert keys(chain_bundles(batches, 64)) == [["a"], ["b"], ["c"]]


def test_limit_one_gives_one_chain_per_batch() -> None:
    assert keys(chain_bundles([batch("a", 1), batch("b", 1)], 1)) == [["a"], ["b"]]


def test_no_batches_no_chains() -> None:
    assert chain_bundles([], 64) == []


@given(st.lists(st.integers(min_value=1, max_value=80), max_size=30), st.integers(min_value=1, max_value=200))
def test_every_batch_once_in_order_and_no_chain_over_the_limit_unless_alone(sizes: list[int], limit: int) -> None:
    batches = [batch(str(index), size) for index, size in enumerate(sizes)]
    bundles = chain_bundles(batches, limit)
    assert [b for bundle in bundles for b in bundle] == batches
    for bundle in bundles:
        assert len(bundle) == 1 or sum(len(b["candidates"]) for b in bundle) <= limit
