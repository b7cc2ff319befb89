"""One paginator for every list the pages and the API both show: a query in, a ``Page`` of dataclasses out."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PER_PAGE = 200
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of a list: ``items`` and where they are in it (the API's ``{items, total, page, per_page}``)."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self, item: Callable[[T], object] = lambda x: x) -> dict:
        return {"items": [item(x) for x in self.items], "total": self.total, "page": self.page,
                "per_page": self.per_page}


def paginate(session: Session, query: Select, *, page: int, per_page: int, row: Callable[..., T]) -> Page[T]:
    """``query`` (ordered) counted and cut to ``page``; each result row made an item by ``row(*columns)``."""
    page = min(max(int(page), 1), MAX_PAGE)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return Page([row(*r) for r in rows], int(total or 0), page, per_page)


def page_of(items: list[T], *, page: int, per_page: int) -> Page[T]:
    """A page of a list already read whole (a short one, such as the register of related parties)."""
    page = min(max(int(page), 1), MAX_PAGE)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    return Page(items[(page - 1) * per_page:page * per_page], len(items), page, per_page)
