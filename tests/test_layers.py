"""Layers only point down, checked by a tool: import-linter's contracts (``[tool.importlinter]`` in
pyproject.toml) run here, so the suite fails on an import that points up or sideways, lazy ones included.

The ledger core is pure Python: it imports no web framework, ORM, serialiser or PDF library. The contract
says so from the import graph; the two tests below it say so again from the source and from a fresh
interpreter (an import hidden from the graph, e.g. through ``importlib``, would still show there).
"""
from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import fund_ledger.ledger

FORBIDDEN = {"flask", "sqlalchemy", "marshmallow", "weasyprint", "alembic", "psycopg", "jinja2", "werkzeug"}
CORE = Path(fund_ledger.ledger.__file__).parent
ROOT = CORE.parent.parent
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True, no_logo=True))")


def test_import_contracts_are_kept():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    assert {c["type"] for c in contracts} >= {"layers", "forbidden"}
    run = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"})
    assert run.returncode == 0, f"import-linter: a layer imports upwards or sideways\n{run.stdout}\n{run.stderr}"
    assert f"{len(contracts)} kept, 0 broken" in run.stdout, run.stdout


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_source_imports_no_framework():
    offenders = {str(p.relative_to(CORE)): sorted(_imported_roots(p) & FORBIDDEN) for p in CORE.rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}
    assert len(offenders) >= 6  # the scan really read the core's modules


def test_importing_the_core_loads_no_framework():
    modules = [".".join(("fund_ledger", "ledger", *p.relative_to(CORE).with_suffix("").parts))
               for p in CORE.rglob("*.py") if p.stem != "__init__"]
    code = (f"import sys; import {', '.join(modules)}; "
            f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
