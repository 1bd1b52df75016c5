"""Hand-written seed solvers for ARC-AGI-1 training tasks, one DSL program per file in arcagi1/."""

from importlib.resources import files

_SEED_FOLDER = "arcagi1"


def seed_sources() -> dict[str, str]:
    """Return the seed solvers' sources keyed by task id (the file stem), sorted by id."""
    folder = files(__name__).joinpath(_SEED_FOLDER)
    sources = {
        entry.name.removesuffix(".py"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(".py")
    }
    return dict(sorted(sources.items()))
