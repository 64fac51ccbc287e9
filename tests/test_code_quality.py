"""The project's own lint and type settings (pyproject.toml) hold for the whole tree."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BIN = os.path.dirname(sys.executable)


def test_ruff_finds_nothing() -> None:
    """ruff (B, E, F, I, UP, W) is clean on the package, tests and benchmarks."""
    result = subprocess.run(
        [os.path.join(BIN, "ruff"), "check", "faq_bot", "tests", "benchmarks"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_is_ruff_formatted() -> None:
    """`ruff format` would change nothing in the package, tests and benchmarks."""
    result = subprocess.run(
        [os.path.join(BIN, "ruff"), "format", "--check", "faq_bot", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_codespell_finds_nothing() -> None:
    """No misspelling in code, docs or content prose (patients' own spellings are skipped: pyproject.toml)."""
    paths = ["faq_bot", "tests", "benchmarks", "docs", "README.md", "CHANGELOG.md", "templates", "answers"]
    result = subprocess.run([os.path.join(BIN, "codespell"), *paths], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    """mypy --strict is clean on faq_bot/."""
    result = subprocess.run([os.path.join(BIN, "mypy")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def faq_bot_imports() -> dict[str, list[tuple[str, bool]]]:
    """Each faq_bot module -> the faq_bot modules it imports, and whether the import is inside a function."""
    graph: dict[str, list[tuple[str, bool]]] = {}
    package = os.path.join(REPO, "faq_bot")
    for name in sorted(os.listdir(package)):
        if not name.endswith(".py"):
            continue
        module = f"faq_bot.{name[:-3]}" if name != "__init__.py" else "faq_bot"
        with open(os.path.join(package, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        top_level = {id(node) for node in tree.body}
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("faq_bot"):
                targets = [node.module] if node.module != "faq_bot" else [f"faq_bot.{a.name}" for a in node.names]
                found += [(target, id(node) not in top_level) for target in targets]
        graph[module] = found
    return graph


def test_no_import_circle_and_no_deferred_import_in_the_package() -> None:
    """Every faq_bot import is at module level (but create_app's, which keeps Flask out of the core) and none loops."""
    graph = faq_bot_imports()
    deferred = [
        (module, target)
        for module, imports in graph.items()
        for target, inside in imports
        if inside and (module, target) != ("faq_bot", "faq_bot.web")
    ]
    assert deferred == []
    edges = {
        module: {target for target, inside in imports if not inside and target in graph}
        for module, imports in graph.items()
    }
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join([*path, module])
        visiting.add(module)
        for target in edges[module]:
            visit(target, [*path, module])
        visiting.discard(module)
        done.add(module)

    for module in graph:
        visit(module, [])


def test_every_test_says_what_it_shows() -> None:
    """Each test function has a docstring: the behaviour it shows, read in the report when it fails."""
    silent = []
    for path in sorted(Path(REPO, "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        silent += [
            f"tests/{path.name}:{node.lineno} {node.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and not ast.get_docstring(node)
        ]
    assert silent == []


def test_benchmarks_never_import_the_tests() -> None:
    """Benchmarks share support code with the tests through benchmarks/ (measure, services), never the reverse."""
    offenders = []
    for path in sorted(Path(REPO, "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found = [name for name in names if name.split(".")[0] == "tests"]
            offenders += [f"benchmarks/{path.name}:{node.lineno} {name}" for name in found]
    assert offenders == []
