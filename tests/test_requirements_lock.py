"""The lock files (requirements/*.txt, written by `make lock`) agree with
pyproject.toml: a dependency added there without `make lock` fails here, not
in the next Docker build."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """Each package of a lock file: its version and how many hashes it has."""
    found: dict[str, tuple[str, int]] = {}
    name = None
    for line in (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match["name"])
            found[name] = (match["version"], 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
    return found


def declared(group: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(spec) for spec in specs]


@pytest.mark.parametrize(("lock", "group"), [("base.txt", None), ("dev.txt", None), ("dev.txt", "dev")])
def test_the_lock_pins_every_dependency_of_pyproject_within_its_range(lock, group):
    locked = pins(lock)
    problems = []
    for requirement in declared(group):
        if requirement.marker and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement} is not in requirements/{lock}")
        elif not requirement.specifier.contains(locked[name][0], prereleases=True):
            problems.append(f"{requirement} does not allow the locked {name}=={locked[name][0]}")
    assert problems == [], "pyproject.toml and the lock disagree; run `make lock`:\n" + "\n".join(problems)


def test_every_locked_package_has_its_hashes():
    for lock in ("base.txt", "dev.txt"):
        locked = pins(lock)
        assert locked, f"requirements/{lock} pins nothing"
        assert [name for name, (_, hashes) in locked.items() if hashes == 0] == []


def test_the_dev_lock_keeps_every_version_of_the_base_lock():
    base, dev = pins("base.txt"), pins("dev.txt")
    assert {name: dev.get(name, ("missing", 0))[0] for name in base} == {
        name: version for name, (version, _) in base.items()
    }
