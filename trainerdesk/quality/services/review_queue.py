"""The review queue: which items a reviewer sees next, in which scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from django.db.models import Exists, OuterRef, TextField
from django.db.models.functions import Cast

from trainerdesk.quality import review as rules
from trainerdesk.quality.models import (
    Review,
)
from trainerdesk.quality.services.reviews import LOW_SCORE, SCOPES
from trainerdesk.workbench.models import Annotation, Item, Prediction, Project
from trainerdesk.workbench.services import InvalidInput

# --- the review queue


@dataclass
class QueueEntry:
    # The item's id while the queue is built, then the Item itself (review_queue fills in
    # one page of them with a single query).
    item: Any
    answers: int
    agreeing: int
    disagree: bool
    low_score: bool
    reviewed: bool

    @property
    def text(self) -> str:
        data = self.item.data if isinstance(self.item.data, dict) else {}
        for value in data.values():
            if isinstance(value, str):
                return value[:140]
        return ""


def _needs_review():
    """Annotations not reviewed yet (non-skipped)."""
    reviewed = Review.objects.filter(annotation=OuterRef("pk"))
    return Annotation.objects.filter(item=OuterRef("pk"), skipped=False).exclude(Exists(reviewed))


def _scoped(
    project: Project, ids: list[tuple[int, bool]], scope: str, min_score: float
) -> list[QueueEntry]:
    """The entries (item still an id) among `ids` ((item id, needs review), in id order)
    that fall in the scope."""
    # By id range (the items are one window of ids), not IN lists of up to 20,000 ids.
    first, last = ids[0][0], ids[-1][0]
    wanted = {pk for pk, _ in ids}
    # The answers as stored text: equal texts are equal answers, so only items whose
    # texts differ are decoded (decoding every answer was most of a long scan's time).
    answers: dict[int, list[str]] = {}
    for item_id, answer in (
        Annotation.objects.filter(
            item_id__gte=first, item_id__lte=last, project=project, skipped=False
        )
        .annotate(text=Cast("answer", TextField()))
        .values_list("item_id", "text")
    ):
        if item_id in wanted:
            answers.setdefault(item_id, []).append(answer)
    low_scored = set()
    if scope in ("all", "low"):
        low_scored = set(
            Prediction.objects.filter(
                item_id__gte=first, item_id__lte=last, score__lt=min_score
            ).values_list("item_id", flat=True)
        )
    out = []
    for pk, needs_review in ids:
        texts = answers.get(pk, [])
        same = len(set(texts)) <= 1
        given = [] if same else [orjson.loads(t) for t in texts]
        entry = QueueEntry(
            item=pk,
            answers=len(texts),
            agreeing=len(texts) if same else rules.agreeing_count(given),
            disagree=not same and rules.disagree(given),
            low_score=pk in low_scored,
            reviewed=not needs_review,
        )
        if scope == "disagreement" and not entry.disagree:
            continue
        if scope == "low" and not (entry.agreeing < project.overlap or entry.low_score):
            continue
        out.append(entry)
    return out


def review_queue(
    *,
    project: Project,
    scope: str = "all",
    reviewed: bool | None = None,
    after: int = 0,
    before: int | None = None,
    limit: int = 50,
    min_score: float = LOW_SCORE,
) -> list[QueueEntry]:
    """Annotated items in scope (all, disagreement: the non-skipped answers differ, low:
    see LOW_SCORE), in id order after `after` (and before `before`); `reviewed` False for
    items with an annotation nobody reviewed yet, True for the others, None for both
    with the not-yet-reviewed ones first. Walks the items in chunks, so a narrow scope
    reads only as far as it needs."""
    if scope not in SCOPES:
        raise InvalidInput([f"scope: must be one of {', '.join(SCOPES)}"])
    if reviewed is None:
        first = review_queue(
            project=project, scope=scope, reviewed=False, after=after, before=before,
            limit=limit, min_score=min_score,
        )  # fmt: skip
        rest = review_queue(
            project=project, scope=scope, reviewed=True, after=after, before=before,
            limit=limit - len(first), min_score=min_score,
        ) if len(first) < limit else []  # fmt: skip
        return first + rest
    qs = (
        Item.objects.filter(project=project)
        .filter(Exists(Annotation.objects.filter(item=OuterRef("pk"), skipped=False)))
        .annotate(needs_review=Exists(_needs_review()))
        .filter(needs_review=not reviewed)
        .order_by("id")
    )
    end = project.items.order_by("-id").values_list("id", flat=True).first() or 0
    if before is not None:
        end = min(end, before - 1)
    # Walk id windows rather than "the next N matches": with a plain LIMIT the databases
    # evaluated both EXISTS tests over the whole project for every chunk (46 s to find
    # that none of 50,000 reviewed items disagreed, against 1.4 s in windows). Windows
    # start small (the page asks for one item) and grow while they find nothing.
    found: list[QueueEntry] = []
    window = 500
    while len(found) < limit and after < end:
        upper = min(after + window, end)
        # Ids first: building 20,000 Item objects (and decoding their data) per window
        # cost more than the queries; only the items returned are loaded in full.
        ids = list(qs.filter(pk__gt=after, pk__lte=upper).values_list("pk", "needs_review"))
        if ids:
            found += _scoped(project, ids, scope, min_score)
        after = upper
        window = min(window * 4, 20_000) if len(found) < limit else window
    found = found[:limit]
    items = Item.objects.in_bulk([e.item for e in found])
    for entry in found:
        entry.item = items[entry.item]
    return found


def next_review_item(
    *, project: Project, scope: str = "all", after: int = 0, min_score: float = LOW_SCORE
) -> Item | None:
    """The next item to review after item `after`: not-yet-reviewed items first (after
    it, then from the start), then reviewed ones in the same way."""
    for reviewed in (False, True):
        for lower, upper in ((after, None), (0, after)) if after else ((0, None),):
            found = review_queue(
                project=project, scope=scope, reviewed=reviewed, after=lower, before=upper,
                limit=1, min_score=min_score,
            )  # fmt: skip
            if found:
                return found[0].item
    return None


def first_disagreement(*, project: Project) -> Item | None:
    """The first item whose answers differ and that has an unreviewed annotation (where the
    review page opens)."""
    found = review_queue(project=project, scope="disagreement", reviewed=False, limit=1)
    return found[0].item if found else None
