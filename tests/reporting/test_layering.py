"""Imports flow notifications -> reporting -> bookings (DESIGN.md): bookings
imports nothing of reporting, at module level or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import bookings

BOOKINGS = Path(bookings.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_bookings_imports_nothing_of_reporting():
    offenders = {
        str(path.relative_to(BOOKINGS.parent)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "reporting"
        )
        for path in BOOKINGS.rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}
