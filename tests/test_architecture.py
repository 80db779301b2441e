"""The layer rules of docs/architecture.md, checked over the source with `ast`.

A package may import only the packages below it, and workflows/ may import nothing but the
standard library and temporalio outside `workflow.unsafe.imports_passed_through()`: the workflow
sandbox re-imports a workflow module for every run, and only passed-through modules are shared.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each room may import (besides itself). Lower rooms first; docs/architecture.md draws it.
ALLOWED: dict[str, frozenset[str]] = {
    "bird": frozenset(),
    "activities": frozenset({"bird"}),
    "workflows": frozenset({"bird", "activities"}),
    "intake": frozenset({"bird", "workflows"}),
    "runtime": frozenset({"bird", "workflows"}),
    "sandbox": frozenset({"bird", "runtime"}),
    "relay": frozenset({"bird", "workflows", "runtime"}),
    "worker": frozenset({"bird", "activities", "workflows", "runtime"}),
    "starter": frozenset({"bird", "activities", "workflows", "intake", "runtime", "worker", "relay", "sandbox"}),
    "bench": frozenset(
        {"bird", "activities", "workflows", "intake", "runtime", "worker", "relay", "sandbox", "starter"}
    ),
}
PROJECT = frozenset(ALLOWED)
# Imported by workflow code directly: the workflow sandbox knows them as deterministic.
WORKFLOW_SAFE = frozenset(sys.stdlib_module_names) | {"__future__", "temporalio"}


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [] if node.level else [node.module or ""]
    return [alias.name for alias in node.names]


def _passed_through(with_node: ast.With) -> bool:
    return any(
        isinstance(item.context_expr, ast.Call) and ast.unparse(item.context_expr.func).endswith("imports_passed_through")
        for item in with_node.items
    )


def _imports(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """(line, module, inside a passed-through block) for every absolute import in the tree."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, passed: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.extend((node.lineno, name, passed) for name in _imported(node))
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            return  # annotations only: never imported at run time
        inner = passed or (isinstance(node, ast.With) and _passed_through(node))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def violations(root: Path) -> list[str]:
    """Every import under `root` that breaks a layer rule, as `path:line: what`."""
    problems: list[str] = []
    for room, allowed in ALLOWED.items():
        for path in sorted((root / room).rglob("*.py")):
            where = path.relative_to(root)
            for line, module, passed in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                top = module.split(".")[0]
                if top in PROJECT and top != room and top not in allowed:
                    problems.append(f"{where}:{line}: {room}/ must not import {top}/ ({module})")
                if room == "workflows" and top not in WORKFLOW_SAFE and not passed:
                    problems.append(f"{where}:{line}: {module} is imported outside imports_passed_through()")
    return problems


def test_every_room_imports_only_the_rooms_below_it() -> None:
    assert violations(ROOT) == []


def test_every_room_is_a_package_the_distribution_ships() -> None:
    for room in ALLOWED:
        assert (ROOT / room / "__init__.py").is_file(), f"{room}/ is not a package"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    shipped = [room for room in ALLOWED if room != "bench" and f'"{room}*"' not in pyproject]
    assert shipped == [], f"pyproject.toml does not ship {shipped}"


@pytest.mark.parametrize(
    ("room", "source", "expected"),
    [
        ("bird", "from workflows.contract import Step\n", "bird/ must not import workflows/"),
        ("activities", "import starter.cli\n", "activities/ must not import starter/"),
        ("workflows", "with workflow.unsafe.imports_passed_through():\n    from intake.request import OnboardingRequest\n", "workflows/ must not import intake/"),
        ("workflows", "import httpx\n", "httpx is imported outside imports_passed_through()"),
        ("workflows", "from bird.statuses import APPROVED\n", "outside imports_passed_through()"),
        ("runtime", "from starter import cli\n", "runtime/ must not import starter/"),
        ("sandbox", "from workflows.contract import Step\n", "sandbox/ must not import workflows/"),
    ],
)
def test_a_planted_wrong_import_is_reported(tmp_path: Path, room: str, source: str, expected: str) -> None:
    (tmp_path / room).mkdir()
    (tmp_path / room / "planted.py").write_text(source, encoding="utf-8")
    found = violations(tmp_path)
    assert len(found) == 1 and expected in found[0], found


def test_passed_through_and_type_checking_imports_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "fine.py").write_text(
        "from __future__ import annotations\n"
        "import asyncio\n"
        "from typing import TYPE_CHECKING\n"
        "from temporalio import workflow\n"
        "with workflow.unsafe.imports_passed_through():\n"
        "    from pydantic import BaseModel\n"
        "    from bird.statuses import APPROVED\n"
        "if TYPE_CHECKING:\n"
        "    import httpx\n",
        encoding="utf-8",
    )
    assert violations(tmp_path) == []
