"""Page numbers from the query string, safely: anything odd (abc, -1, 10**100) becomes a sensible page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

MAX_PAGE = 10_000


def page_arg(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    if not raw.isdigit():
        return 1
    return min(max(1, int(raw[:6])), MAX_PAGE)


def int_list_arg(name: str, limit: int = 50) -> list[int]:
    """Repeated integer query parameters (``?district=3&district=5``); non-numbers are ignored."""
    return [int(v) for v in request.args.getlist(name)[:limit] if v.isdigit() and len(v) < 10]


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill (at least one, so an empty list still has its page 1)."""
    return max(1, -(-total // per_page))


def clamped_page(page: int, total: int, per_page: int) -> int:
    """A page past the end shows the last one, rather than an empty list."""
    return max(1, min(page, page_count(total, per_page)))


@dataclass
class Page:
    """One page of a list counted in SQL: its rows, the total and where it is (for the shared pager macro)."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based; 0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)
