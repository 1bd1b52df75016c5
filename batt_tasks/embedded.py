"""The embedded default: the same stages as the Celery chain, run in this process and its sandbox children."""

from collections.abc import Callable, Iterable

from batt_tasks.child_pool import SandboxPool
from batt_tasks.payloads import Batch
from batt_tasks.settings import Settings
from batt_tasks.stages.inline import inline_batch
from batt_tasks.stages.persist import persist_batch
from batt_tasks.stages.score import get_backend, score_batch
from batt_tasks.stages.validate import validate_batch


def run_batches(batches: Iterable[Batch], settings: Settings, on_batch: Callable[[Batch], None] | None = None) -> None:
    """inline -> validate -> score -> persist for every batch, in order; each batch lands before the next starts."""
    backend = get_backend(settings.score_backend)
    with SandboxPool(settings.sandbox_processes, settings.sample_timeout, settings.memory_cap_mb) as pool:
        for batch in batches:
            done = persist_batch(
                score_batch(validate_batch(inline_batch({**batch, "worker": "embedded"}), pool), backend),
                settings.database_url,
            )
            if on_batch:
                on_batch(done)
