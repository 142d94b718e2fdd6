"""Blind LLM evaluation: the order responses are shown in, and mapping answers between it
and the item's own order.

Pure Python (no Django) so the view, the service and the tests share one definition. The
annotation page shows responses in a shuffled order and its controls speak in shown
positions; answers are stored in the item's order, with the shown order recorded beside.
An order is a list whose entry at shown position p is the item's index of that response.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any, TypeGuard

from trainerdesk.workbench.schema import Field, LabelSchema


def shown_order(*, item_id: int, user_id: int, source: str, n: int) -> list[int]:
    """A shuffle of range(n) that depends only on the item, the annotator and the data key,
    so a reload (or another worker process) shows the same order."""
    seed = hashlib.sha256(f"{item_id}:{user_id}:{source}".encode()).digest()
    order = list(range(n))
    random.Random(int.from_bytes(seed[:8], "big")).shuffle(order)
    return order


def response_sources(schema: LabelSchema) -> list[str]:
    return list(
        dict.fromkeys(f.source for f in schema.fields if f.data_kind == "responses" and f.source)
    )


def count_responses(data: Any, source: str) -> int:
    value = data.get(source) if isinstance(data, dict) else None
    return len(value) if isinstance(value, list) else 0


def check_orders(schema: LabelSchema, data: Any, orders: Any) -> tuple[dict, list[str]]:
    """The recorded order as {source: order} and the problems with it.

    Accepted shapes: a list (the schema reads one list of responses) or an object keyed by
    the item data key the responses are under.
    """
    sources = response_sources(schema)
    if orders is None:
        return {}, []
    data = schema.with_responses(data)
    if isinstance(orders, list):
        if len(sources) != 1:
            return {}, ["response_order: give an object keyed by data key for this schema"]
        orders = {sources[0]: orders}
    if not isinstance(orders, dict):
        return {}, ["response_order: must be a list of response indexes"]
    errors = []
    for source, order in orders.items():
        path = "response_order" if len(sources) == 1 else f"response_order.{source}"
        n = count_responses(data, source)
        if source not in sources:
            errors.append(f"{path}: the schema reads no responses under {source!r}")
        elif not (
            isinstance(order, list)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in order)
            and sorted(order) == list(range(n))
        ):
            errors.append(f"{path}: must be a permutation of 0..{n - 1}, got {order!r}"[:200])
    return ({} if errors else orders), errors


def stored_form(orders: dict) -> list | dict | None:
    """What Annotation.response_order holds: the list itself for the usual one-source
    schema, the object otherwise, None when nothing was shuffled."""
    if not orders:
        return None
    return next(iter(orders.values())) if len(orders) == 1 else dict(orders)


def _is_pos(value: Any, n: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n


def _map(field: Field, value: Any, to: list[int]) -> Any:
    """Renumber one field's answer through `to` (position → position). Anything malformed
    is returned unchanged so that validation reports it as the annotator wrote it."""
    n = len(to)
    if field.type == "pairwise" and isinstance(value, dict):
        preferred = value.get("preferred")
        return value | {"preferred": to[preferred]} if _is_pos(preferred, n) else value
    if field.type == "ranking" and isinstance(value, list):
        return [to[v] for v in value] if all(_is_pos(v, n) for v in value) else value
    if (
        field.type == "rating"
        and field.options.get("per_response")
        and isinstance(value, list)
        and len(value) == n
    ):
        out: list = [None] * n
        for pos, scores in enumerate(value):
            out[to[pos]] = scores
        return out
    return value


def to_item_order(schema: LabelSchema, answer: dict, orders: dict) -> dict:
    """An answer given in shown positions, renumbered to the item's own order."""
    out = dict(answer)
    for f in schema.fields:
        order = orders.get(f.source or "")
        if order and f.data_kind == "responses" and f.name in out:
            out[f.name] = _map(f, out[f.name], order)
    return out


def to_shown_order(schema: LabelSchema, answer: dict, orders: dict) -> dict:
    """An answer in the item's order, renumbered to the positions shown (to display it)."""
    inverse = {}
    for source, order in orders.items():
        inv = [0] * len(order)
        for pos, index in enumerate(order):
            inv[index] = pos
        inverse[source] = inv
    return to_item_order(schema, answer, inverse)
