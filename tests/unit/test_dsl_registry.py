"""The PRIMITIVES registry: what candidate programs are compiled against."""

import importlib
import inspect
import types
import typing

import batt_tasks.dsl as dsl
from batt_tasks.dsl import PRIMITIVES

MODULES = (
    "constants", "logic", "functional", "geometry", "sizing", "colour", "objects", "patterns", "transforms",
    "partitions", "cellrules", "layouts", "picks", "drawings",
)  # fmt: skip


def _module(name: str) -> types.ModuleType:
    return importlib.import_module(f"batt_tasks.dsl.{name}")


def test_callables_have_complete_resolvable_annotations_and_docstrings() -> None:
    for name, value in PRIMITIVES.items():
        if not callable(value):
            continue
        hints = typing.get_type_hints(value)
        params = inspect.signature(value).parameters
        assert set(params) | {"return"} == set(hints), name
        assert all(hint is not None for hint in hints.values()), name
        assert value.__doc__ and value.__doc__.strip(), name


def test_registry_holds_no_private_names_modules_or_type_aliases() -> None:
    for name, value in PRIMITIVES.items():
        assert not name.startswith("_"), name
        assert not isinstance(value, types.ModuleType), name
    assert not set(PRIMITIVES) & set(_module("types").__all__)
    assert "PRIMITIVES" not in PRIMITIVES


def test_at_least_110_callables() -> None:
    assert sum(callable(v) for v in PRIMITIVES.values()) >= 110


def test_registry_is_the_union_of_module_exports_without_clashes() -> None:
    seen: dict[str, str] = {}
    for module_name in MODULES:
        module = _module(module_name)
        for name in module.__all__:
            assert name not in seen, f"{name} exported by both {seen[name]} and {module_name}"
            seen[name] = module_name
            assert PRIMITIVES[name] is getattr(module, name)
    assert set(PRIMITIVES) == set(seen)


def test_star_import_exposes_every_primitive_and_type() -> None:
    namespace: dict[str, object] = {}
    exec("from batt_tasks.dsl import *", namespace)
    for name, value in PRIMITIVES.items():
        assert namespace[name] is value, name
    assert namespace["Grid"] == tuple[tuple[int, ...], ...]
    assert namespace["PRIMITIVES"] is PRIMITIVES


def test_package_attributes_are_the_primitives() -> None:
    # Module names that are also primitive names (objects) must resolve to the primitive.
    for name, value in PRIMITIVES.items():
        assert getattr(dsl, name) is value, name


def test_program_compiled_against_primitives_runs() -> None:
    source = "def solve(I):\n    return hmirror(rot90(replace(I, ONE, TWO)))\n"
    namespace = dict(PRIMITIVES)
    exec(compile(source, "<candidate>", "exec"), namespace)
    assert namespace["solve"](((1, 0), (0, 0))) == ((0, 0), (0, 2))
