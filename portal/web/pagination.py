"""One page of a longer list, as every paginated page and API shows it."""
from __future__ import annotations

import dataclasses

from sqlalchemy import Select, func, select

from portal.extensions import db


@dataclasses.dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(statement: Select, page: int, per_page: int) -> Page:
    """Run an ordered statement for one page. A page past the end is empty, not an error."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total or 0, page=page, per_page=per_page)
