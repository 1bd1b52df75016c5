"""Dedup: drop candidates before any heavy work, and say how many each rule dropped.

Rules, cheapest first, per task:
- textual: the same program text once blank lines, comments and indentation are ignored;
- canonical: a different text with the same inlined expression (same md5);
- known: an md5 this task already has an evaluation for in the database (reused, not rerun).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from batt_tasks.payloads import CandidateRecord
from batt_tasks.stages.inline import inline_candidate


@dataclass
class DedupCounts:
    """What the rules dropped; `kept` go on to the pipeline."""

    textual: int = 0
    canonical: int = 0
    known: int = 0
    kept: int = 0

    def add(self, other: "DedupCounts") -> None:
        self.textual += other.textual
        self.canonical += other.canonical
        self.known += other.known
        self.kept += other.kept


@dataclass
class DedupResult:
    survivors: list[CandidateRecord]
    known: dict[str, str] = field(default_factory=dict)  # md5 -> origin, to reuse from earlier runs
    counts: DedupCounts = field(default_factory=DedupCounts)


def normalised_text(source: str) -> str:
    """The source without blank lines, comments or indentation differences."""
    lines = (line.split("#", 1)[0].strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line)


def deduplicate(candidates: Iterable[CandidateRecord], known_md5s: set[str]) -> DedupResult:
    """Apply the three rules to one task's candidates, keeping the first of each group."""
    result = DedupResult(survivors=[])
    texts: set[str] = set()
    md5s: set[str] = set()
    for candidate in candidates:
        text = normalised_text(candidate["source"])
        if text in texts:
            result.counts.textual += 1
            continue
        texts.add(text)
        candidate = inline_candidate(candidate)  # the md5 is needed now; the chain reuses the canonical form
        md5 = candidate["md5"]
        if md5 in md5s:
            result.counts.canonical += 1
            continue
        md5s.add(md5)
        if md5 in known_md5s:
            result.counts.known += 1
            result.known[md5] = candidate["origin"]
            continue
        result.survivors.append(candidate)
    result.counts.kept = len(result.survivors)
    return result
