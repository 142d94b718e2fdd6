"""Gold items: marking and unmarking them, setting their reference answer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench.models import Item, Project
from trainerdesk.workbench.schema import AnswerError
from trainerdesk.workbench.services.data_manager import _selection
from trainerdesk.workbench.services.export import final_answers
from trainerdesk.workbench.services.queue import _shift_counters

# A gold item's reference answer is what annotators are scored against (quality app). It
# reaches every annotator once (next_item) and so never counts as `available` in the shared
# queue; unmarking puts it back under the overlap.


def mark_gold(*, project: Project, item_ids: list[int], by) -> tuple[int, list[int]]:
    """Make items gold with their current final answer (final_answers: the project's final
    label rule) as the reference. Returns (how many were marked, ids left out because they
    have no final answer yet: nobody answered, or the answers tie)."""
    ids = _selection(item_ids)
    with transaction.atomic():
        items = list(Item.objects.filter(project=project, pk__in=ids).only("id", "reference"))
        finals = final_answers(project=project, item_ids=[i.pk for i in items])
        marked, missing = [], []
        for item in items:
            final = finals.get(item.pk)
            if final is None:
                missing.append(item.pk)
                continue
            item.reference, item.is_gold, item.available = final, True, False
            marked.append(item)
        Item.objects.bulk_update(marked, ["reference", "is_gold", "available"])
        audit.record_bulk(
            action="workbench.item.gold_mark",
            object_type="workbench.item",
            ids=[item.pk for item in marked],
            changes={"is_gold": True, "left_out": len(missing)},
            project=project,
            by=by,
        )
    return len(marked), missing


def unmark_gold(*, project: Project, item_ids: list[int], by) -> int:
    """Items stop being gold (the reference stays) and rejoin the shared queue if they
    still need answers under the overlap."""
    ids = _selection(item_ids)
    with transaction.atomic():
        gold = Item.objects.filter(project=project, pk__in=ids, is_gold=True)
        unmarked = list(gold.values_list("pk", flat=True))
        gold.filter(pk__in=unmarked).update(
            is_gold=False,
            available=Case(
                When(done_count__lt=project.overlap - F("leased_count"), then=Value(True)),
                default=Value(False),
            ),
        )
        audit.record_bulk(
            action="workbench.item.gold_mark",
            object_type="workbench.item",
            ids=unmarked,
            changes={"is_gold": False},
            project=project,
            by=by,
        )
    return len(unmarked)


def set_gold(
    *, project: Project, item: Item, reference: Any, is_gold: bool, explanation: str = "", by
) -> Item:
    """Set an item's reference answer (validated against the schema), its explanation
    and its gold flag. A gold item must have a reference."""
    if reference is not None:
        try:
            reference = project.schema.validate_answer(reference, item.data)
        except AnswerError as exc:
            raise InvalidInput([f"reference.{e}" for e in exc.errors]) from None
    if is_gold and reference is None:
        raise InvalidInput(["reference: a gold item needs its reference answer"])
    with transaction.atomic():
        before = audit.snapshot(item, ["is_gold", "reference", "gold_explanation"])
        item.reference, item.is_gold = reference, is_gold
        item.gold_explanation = explanation or ""
        item.save(update_fields=["reference", "is_gold", "gold_explanation"])
        # The queue flag follows the gold flag (the counters themselves are unchanged).
        _shift_counters(overlap=project.overlap, item_id=item.pk)
        item.refresh_from_db(fields=["available"])
        changes = audit.changed_fields(before, item, ["is_gold"])
        # The answer and explanation are content, named by whether they changed.
        changes["reference_changed"] = before["reference"] != item.reference
        changes["explanation_changed"] = before["gold_explanation"] != item.gold_explanation
        audit.record(
            action="workbench.item.gold_mark", obj=item, project=project, changes=changes, by=by
        )
    return item
