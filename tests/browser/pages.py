"""Reading pages in the browser tests: tables as rows of {header: text}, notices, and what went wrong."""
from __future__ import annotations


def read_table(table) -> list[dict[str, str]]:
    """A table's body rows as {header: cell text}, keyed by the header's first word (its Chinese name)."""
    assert table.count() == 1, f"expected one table, found {table.count()}"
    headers = [h.split()[0] if h.split() else "" for h in table.locator("thead th").all_inner_texts()]
    rows = table.locator("tbody tr").evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText))")
    return [dict(zip(headers, (c.strip() for c in cells))) for cells in rows if len(cells) == len(headers)]


def watch(page, problems: list[str], who: str) -> None:
    """Record script errors, CSP violations and error responses (a refused form is a 4xx: a real problem here)."""
    page.on("console", lambda m: problems.append(f"{who}: console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{who}: {r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(f"{who}: {e}"))


def notice(page) -> str:
    return " ".join(page.locator("main p.notice").all_inner_texts())
