"""What the network's API modules share: keyset paging and the 403 for NotAllowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ninja import Schema
from ninja.errors import HttpError
from pydantic import Field

from trainerdesk.network.access import MAX_ID
from trainerdesk.network.services import NotAllowed

T = TypeVar("T")


class PageQuery(Schema):
    after: int = Field(0, ge=0, le=MAX_ID, description="Rows with a larger id (keyset).")
    limit: int = Field(50, ge=1, le=500)


def page(qs: Any, query: PageQuery) -> tuple[list, int | None]:
    """One keyset page by id and the cursor for the next (None at the end)."""
    rows = list(qs.filter(pk__gt=query.after).order_by("pk")[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, (rows[-1].pk if more else None)


def call(fn: Callable[..., T], **kwargs: Any) -> T:
    try:
        return fn(**kwargs)
    except NotAllowed as exc:
        raise HttpError(403, str(exc)) from None
