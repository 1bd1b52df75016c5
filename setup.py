"""Which packages the distribution installs: every package under batt_tasks/, found, and Alembic's migrations.

The rest of the packaging is in pyproject.toml. This is here because pyproject.toml's
[tool.setuptools.packages.find] names a package after its folder, and migrations/ sits at the top of the
repository (Alembic's layout) but is installed as batt_tasks.migrations (package-dir in pyproject.toml): the
find table cannot rename it, so a package list there had to be kept by hand. Here both are found.
"""

from setuptools import find_namespace_packages, find_packages, setup

IGNORED = ["*__pycache__*"]

setup(
    packages=[
        # Namespace discovery: batt_tasks/solvers/arcagi1/ holds seed solvers and no __init__.py.
        *find_namespace_packages(include=["batt_tasks", "batt_tasks.*"], exclude=IGNORED),
        *(f"batt_tasks.{name}" for name in find_packages(include=["migrations", "migrations.*"], exclude=IGNORED)),
    ]
)
