"""Every knob batt has, read from environment variables (prefix ``BATT_``) in one place.

No broker URL means the embedded default: the stages run in this process and its sandbox children.
No database URL means ``sqlite:///./batt.db``.
"""

import os
import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDED_DATABASE_URL = "sqlite:///./batt.db"
SECRET_QUERY = re.compile(r"([?&](?:password|passwd|pwd|secret|token|api_key|sslpassword)=)[^&#]*", re.IGNORECASE)


class Settings(BaseSettings):
    """batt's configuration; each field is read from ``BATT_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="BATT_", extra="ignore")

    database_url: str = Field(default=EMBEDDED_DATABASE_URL, description="SQLAlchemy URL of the results database")
    broker_url: str | None = Field(default=None, description="Celery broker URL (Redis); unset means embedded")
    sample_timeout: float = Field(default=1.0, gt=0, description="seconds one candidate may run on one sample")
    memory_cap_mb: int = Field(default=1024, gt=0, description="memory a candidate may allocate, in MiB")
    batch_size: int = Field(default=256, ge=1, description="candidates per Celery chain (of one task or several)")
    score_backend: Literal["auto", "numpy", "cupy"] = Field(default="auto", description="array library for scoring")
    sandbox_processes: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 1)),
        ge=1,
        description="long-lived child processes that run candidates in the embedded default",
    )
    generator: Literal["search", "sweep"] = Field(
        default="search",
        description="search: typed enumeration and mutations, the best candidates go on; "
        "sweep: a fixed list of seeds, compositions and mutations, all of them go on (load tests)",
    )
    budget: int = Field(
        default=20_000, ge=1, description="programs the search tries per task (sweep: candidates per task)"
    )
    search_depth: int = Field(
        default=3, ge=0, le=5, description="most calls in an enumerated program (0: mutations only)"
    )
    search_keep: int = Field(default=32, ge=1, description="candidates per task the search sends to the pipeline")
    search_seconds: float = Field(default=60.0, gt=0, description="wall-time limit of one task's search")
    search_stop_after: int = Field(default=1, ge=1, description="solvers (every demo exact) that end a task's search")
    search_processes: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 1)), ge=1, description="processes that search tasks"
    )
    search_window: int | None = Field(
        default=None,
        ge=1,
        description="search jobs of one run queued or running at once (fairness between runs); "
        "unset: twice the live workers' slots, at least 16",
    )
    hostname: str | None = Field(default=None, description="the name workers started here use (-n gpuN@HOSTNAME)")
    seed: int = Field(default=0, description="seed of the candidate generator")
    queue: str = Field(default="batt", description="shared Celery queue; per-GPU queues are <queue>.gpu<N>")
    max_redeliveries: int = Field(
        default=2, ge=1, description="times a batch may kill its worker before a candidate is failed"
    )
    broker_patience: float = Field(
        default=120.0, ge=0, description="seconds the producer waits for an unreachable broker before it gives up"
    )
    database_patience: float = Field(
        default=300.0, ge=0, description="seconds a worker waits for an unreachable database before a job fails"
    )
    visibility_timeout: int = Field(default=3600, ge=1, description="seconds before Redis redelivers an unacked task")
    validate_margin: float = Field(
        default=60.0, gt=0, description="seconds a validate task may run beyond its samples' timers before it is killed"
    )
    worker_max_memory_mb: int = Field(
        default=2048, ge=64, description="a worker child is replaced above this resident size"
    )
    flower_user: str = Field(default="batt", description="Flower basic-auth user")
    flower_password: str | None = Field(
        default=None, description="Flower basic-auth password; Flower refuses to start without"
    )
    flower_port: int = Field(default=5555, description="Flower's port")
    state_dir: str = Field(default=".batt", description="where `batt workers` keeps pid files and logs")

    @field_validator("database_url")
    @classmethod
    def _with_driver(cls, url: str) -> str:
        """postgres:// and postgresql:// (what hosts hand out) mean PostgreSQL through psycopg 3, batt's driver."""
        for scheme in ("postgres://", "postgresql://"):
            if url.startswith(scheme):
                return "postgresql+psycopg://" + url.removeprefix(scheme)
        return url

    @property
    def embedded(self) -> bool:
        """True when no broker is configured: everything runs in this process tree."""
        return not self.broker_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def masked_url(url: str) -> str:
    """The URL with every password replaced by ***, safe to print and log.

    Both places a password can hide: the user-info before the authority's LAST @ (a careless password may
    contain an unescaped @), and a password query parameter, which libpq also reads.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority_end = min(index for index in (rest.find("?"), len(rest)) if index >= 0)
    at = rest.rfind("@", 0, authority_end)
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        rest = f"{user}{':***' if colon else ''}{rest[at:]}"
    rest = SECRET_QUERY.sub(r"\1***", rest)
    return f"{scheme}://{rest}"
