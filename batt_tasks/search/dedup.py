"""Textual dedup: the cheapest rule, applied where candidates are made, before they travel anywhere.

A second candidate whose text equals an earlier one once blank lines, comments and indentation are
ignored is dropped. The rules that need the canonical form (same md5; already evaluated in the database)
belong to the inline link, which computes that form (stages/inline.py).
"""

from collections.abc import Iterable

from batt_tasks.payloads import Candidate


def normalised_text(source: str) -> str:
    """The source without blank lines, comments or indentation differences."""
    lines = (line.split("#", 1)[0].strip() for line in source.split("\n"))
    return "\n".join(line for line in lines if line)


def distinct_texts(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The first candidate of each normalised text, in order."""
    first: dict[str, Candidate] = {}
    for candidate in candidates:
        first.setdefault(normalised_text(candidate["source"]), candidate)
    return list(first.values())
