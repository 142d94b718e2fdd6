"""Review decisions: accepting, fixing or rejecting an annotation, sending it back."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.quality.models import (
    Review,
)
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Annotation, Item, Notification, Project
from trainerdesk.workbench.schema import AnswerError
from trainerdesk.workbench.services import ConflictError, InvalidInput

# --- review: decisions, the review queue and final labels ----------------------------------

Decision = Review.Decision
SCOPES = ("all", "disagreement", "low")
# "Low confidence" (scope=low): fewer answers agree on the item than the project's overlap
# asks for (so with overlap 1 a lone answer is confident, with overlap 3 two of three
# agreeing is not), or a model's prediction on the item scored below this threshold.
LOW_SCORE = 0.5


def record_review(
    *,
    project: Project,
    annotation: Annotation,
    reviewer,
    decision: str,
    reason: str = "",
    fixed_answer: Any = None,
    send_back: bool = False,
    judged: bool = True,
) -> Review:
    """Record a reviewer's decision on an annotation (the annotation stays as it was).

    fixed: `fixed_answer` (validated by the project's schema) becomes the item's final
    answer under the reviewer rule. rejected: `reason` is shown to the annotator;
    with `send_back` the annotation leaves the item's counts and the item goes back to the
    top of its author's queue (workbench.services.withdraw_annotation). judged=False: a
    send-back that passes no verdict on the annotator (e.g. the model disagreed): it is
    left out of their review acceptance.
    """
    errors: list[str] = []
    if decision not in Decision.values:
        errors.append(f"decision: must be one of {', '.join(Decision.values)}")
    reason = (reason or "").strip()
    if decision == Decision.REJECTED and not reason:
        errors.append("reason: say why the answer is rejected (the annotator sees it)")
    if len(reason) > 2000:
        errors.append("reason: at most 2000 characters")
    if send_back and decision != Decision.REJECTED:
        errors.append("send_back: only a rejected annotation can be sent back")
    if not judged and not send_back:
        errors.append("judged: only a send-back can be without a verdict")
    if send_back and annotation.annotator_id is None:
        errors.append("send_back: an imported annotation has no annotator to send it to")
    item = annotation.item
    if decision == Decision.FIXED:
        if fixed_answer is None:
            errors.append("fixed_answer: give the corrected answer")
        else:
            try:
                fixed_answer = project.schema.validate_answer(fixed_answer, item.data)
            except AnswerError as exc:
                errors += [f"fixed_answer.{e}" for e in exc.errors]
    else:
        fixed_answer = None
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        review = Review.objects.create(
            project=project,
            item=item,
            annotation=annotation,
            annotator_id=annotation.annotator_id,
            annotator_name=annotation.author,
            reviewer=reviewer,
            decision=decision,
            reason=reason,
            fixed_answer=fixed_answer,
            original_answer=annotation.answer,
            sent_back=send_back,
            judged=judged,
        )
        if send_back and annotation.annotator_id is not None:  # checked above
            workbench.withdraw_annotation(project=project, annotation=annotation, by=reviewer)
            review.annotation = None  # the database set it to NULL with the deletion
            # The author learns it in their inbox; the item is first in their queue.
            Notification.objects.create(
                user_id=annotation.annotator_id, kind=Notification.Kind.RETURNED, item=item,
                actor=reviewer, message=reason,
            )  # fmt: skip
        audit.record(
            action="quality.review.send_back" if send_back else _REVIEW_ACTIONS[decision],
            obj=review,
            project=project,
            changes={
                "decision": decision,
                "annotation_id": annotation.pk,
                "item_id": item.pk,
                "annotator_id": annotation.annotator_id,
                "sent_back": send_back,
                "judged": judged,
            },
            by=reviewer,
        )
    return review


_REVIEW_ACTIONS: dict[str, str] = {
    Decision.ACCEPTED: "quality.review.accept",
    Decision.REJECTED: "quality.review.reject",
    Decision.FIXED: "quality.review.fix",
}


def send_back(*, project: Project, review: Review, by) -> Review:
    """Send back the annotation of an earlier rejection (recorded as a new review, so the
    history shows who sent it back and when)."""
    if review.decision != Decision.REJECTED or review.annotation_id is None:
        raise ConflictError("only a rejected annotation that is still there can be sent back")
    annotation = Annotation.objects.select_related("item").get(pk=review.annotation_id)
    return record_review(
        project=project,
        annotation=annotation,
        reviewer=by,
        decision=Decision.REJECTED,
        reason=review.reason,
        send_back=True,
    )


def reviews_of_item(*, item: Item):
    """Every review of the item, oldest first (decisions of sent-back annotations too)."""
    return Review.objects.filter(item=item).select_related("reviewer").order_by("created_at", "id")


def return_note(*, item: Item, user) -> Review | None:
    """The rejection that sent this item back to the user, while they have not answered
    it again (shown on their annotation page). A sent-back item is assigned to them until
    they answer, so other items cost no query here (the annotation page's hot path)."""
    if item.assignee_id is None or item.assignee_id != user.pk:
        return None
    if Annotation.objects.filter(item=item, annotator=user).exists():
        return None
    return (
        Review.objects.filter(item=item, annotator=user, sent_back=True)
        .order_by("-created_at", "-id")
        .first()
    )
