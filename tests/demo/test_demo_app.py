"""The demo app's place in the layout (DESIGN "Layout after the redesign"):
it owns seed_demo and its history generator, and no other app imports it."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands


def imported_modules(source: Path) -> set[str]:
    """The absolute module names one file imports (relative imports stay in
    their own app, so they cannot reach demo)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_seed_demo_is_a_command_of_the_demo_app():
    assert get_commands()["seed_demo"] == "demo"
    assert importlib.util.find_spec("demo.history") is not None


def test_no_other_app_of_the_project_imports_the_demo_app():
    base = Path(settings.BASE_DIR).resolve()
    ours = [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base and config.name != "demo"
    ]
    # The apps the redesign layout names, so a renamed path cannot empty the check.
    assert {"backend", "advisors", "bookings", "notifications"} <= {c.name for c in ours}

    offenders = {
        f"{path.relative_to(base)}: {module}"
        for config in ours
        for path in Path(config.path).rglob("*.py")
        for module in imported_modules(path)
        if module == "demo" or module.startswith("demo.")
    }
    assert offenders == set()
