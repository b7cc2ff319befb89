"""The ledger core is pure Python: it imports no web framework, ORM, serialiser or PDF library."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import fund_ledger.ledger

FORBIDDEN = {"flask", "sqlalchemy", "marshmallow", "weasyprint", "alembic", "psycopg", "jinja2", "werkzeug"}
CORE = Path(fund_ledger.ledger.__file__).parent


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_source_imports_no_framework():
    offenders = {p.name: sorted(_imported_roots(p) & FORBIDDEN) for p in CORE.glob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}
    assert len(offenders) >= 6  # the scan really read the core's modules


def test_importing_the_core_loads_no_framework():
    modules = [f"fund_ledger.ledger.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__"]
    code = (f"import sys; import {', '.join(modules)}; "
            f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
