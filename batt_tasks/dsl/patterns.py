"""Primitives added for the hand-written seed solvers."""

__all__: list[str] = []
