"""The patterns module keeps the DSL's contract: every exported name is a documented primitive."""

import inspect

from batt_tasks.dsl import PRIMITIVES, patterns


def test_every_exported_name_exists_and_is_a_primitive() -> None:
    for name in patterns.__all__:
        assert hasattr(patterns, name), name
        assert PRIMITIVES[name] is getattr(patterns, name)


def test_exported_functions_are_typed_and_documented() -> None:
    for name in patterns.__all__:
        value = getattr(patterns, name)
        if callable(value):
            doc = inspect.getdoc(value)
            assert doc and "\n" not in doc.strip(), name
            hints = inspect.get_annotations(value)
            assert "return" in hints, name


def test_no_public_function_is_left_unexported() -> None:
    public = {
        name
        for name, value in vars(patterns).items()
        if inspect.isfunction(value) and value.__module__ == patterns.__name__ and not name.startswith("_")
    }
    assert public <= set(patterns.__all__)
