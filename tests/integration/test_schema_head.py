"""A run's schema check: the head read from the migration files is Alembic's, and a database already at head
is left alone without importing Alembic (every run but the first would pay for it)."""

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from batt_tasks.db.migrate import alembic_config, current_revision, newest_revision, schema_behind, upgrade


def test_newest_revision_is_alembics_head() -> None:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert newest_revision() == head


def test_a_new_database_is_upgraded_and_then_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'batt.db'}"
    assert current_revision(url) is None
    assert schema_behind(url) == "empty"
    upgrade(url)
    assert current_revision(url) == newest_revision()
    assert schema_behind(url) is None
    check = (
        "import sys\nfrom batt_tasks.db.migrate import upgrade\n"
        f"upgrade({url!r})\nprint(any(name.split('.')[0] == 'alembic' for name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_database_behind_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'batt.db'}"
    upgrade(url, "0002")
    assert schema_behind(url) == "0002"
    upgrade(url)
    assert current_revision(url) == newest_revision()
