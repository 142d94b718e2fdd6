"""Interviews: the client schedules one (moving the submission to interview if it is not
there yet) and records feedback per requirement of the opening. An outcome is the
interviewer's view; it moves no stage."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.placements import parties
from trainerdesk.placements.models import Interview, Stage, Submission
from trainerdesk.placements.services.common import lock_submission
from trainerdesk.placements.services.stages import move_locked

RATINGS = ("meets", "partly", "does_not_meet")
MAX_NOTE = 2000
SCHEDULABLE = frozenset({Stage.SUBMITTED, Stage.CLIENT_REVIEW, Stage.INTERVIEW})


def schedule_interview(
    *, submission: Submission, scheduled_at: datetime.datetime, duration_minutes: int = 45, by
) -> Interview:
    if timezone.is_naive(scheduled_at):
        raise InvalidInput(["scheduled_at: give a time zone (e.g. 2026-12-10T09:00:00+01:00)"])
    if not 5 <= duration_minutes <= 480:
        raise InvalidInput(["duration_minutes: between 5 and 480"])
    with transaction.atomic():
        submission = lock_submission(submission)
        if not parties.roles_on(by, submission) & {"client", "staff"}:
            raise PermissionDenied("Only the client (or staff) schedules interviews")
        if submission.stage not in SCHEDULABLE:
            raise ConflictError(
                f"submission: cannot schedule an interview in stage "
                f"{submission.get_stage_display().lower()}"
            )
        if submission.stage != Stage.INTERVIEW:
            move_locked(
                submission=submission, to_stage=Stage.INTERVIEW, by=by,
                reason="interview scheduled",
            )  # fmt: skip
        interview = Interview.objects.create(
            submission=submission,
            scheduled_at=scheduled_at,
            duration_minutes=duration_minutes,
            created_by=by,
        )
        audit.record(
            action="placements.interview.create",
            obj=interview,
            changes={"submission": submission.pk, "scheduled_at": scheduled_at},
            by=by,
        )
    return interview


def clean_feedback(submission: Submission, feedback: dict) -> dict:
    """`{requirement id: {"rating": one of RATINGS, "note": text}}`, only the opening's
    own requirements; errors name the requirement."""
    if not isinstance(feedback, dict):
        raise InvalidInput(["feedback: an object keyed by requirement id"])
    known = set(submission.opening.requirements.values_list("pk", flat=True))
    errors, clean = [], {}
    for key, value in feedback.items():
        try:
            rid = int(key)
        except (TypeError, ValueError):
            errors.append(f"feedback.{key}: not a requirement id")
            continue
        if rid not in known:
            errors.append(f"feedback.{key}: not a requirement of this role")
            continue
        if not isinstance(value, dict) or value.get("rating") not in RATINGS:
            errors.append(f"feedback.{key}.rating: one of {', '.join(RATINGS)}")
            continue
        note = value.get("note", "")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            errors.append(f"feedback.{key}.note: text of at most {MAX_NOTE} characters")
            continue
        clean[str(rid)] = {"rating": value["rating"], "note": note.strip()}
    if errors:
        raise InvalidInput(errors)
    return clean


def record_interview_feedback(
    *, interview: Interview, feedback: dict, outcome: str, notes: str = "", by
) -> Interview:
    if outcome not in Interview.Outcome.values or outcome == Interview.Outcome.PENDING:
        choices = ", ".join(v for v in Interview.Outcome.values if v != "pending")
        raise InvalidInput([f"outcome: one of {choices}"])
    if len(notes or "") > MAX_NOTE:
        raise InvalidInput([f"notes: at most {MAX_NOTE} characters"])
    with transaction.atomic():
        interview = (
            Interview.objects.select_for_update()
            .select_related("submission__opening__client", "submission__member")
            .get(pk=interview.pk)
        )
        if not parties.roles_on(by, interview.submission) & {"client", "staff"}:
            raise PermissionDenied("Only the client (or staff) records interview feedback")
        interview.feedback = clean_feedback(interview.submission, feedback)
        interview.outcome, interview.notes = outcome, (notes or "").strip()
        interview.feedback_at, interview.feedback_by = timezone.now(), by
        interview.save(update_fields=["feedback", "outcome", "notes", "feedback_at", "feedback_by"])
        audit.record(
            action="placements.interview.feedback",
            obj=interview,
            changes={"outcome": outcome, "requirements": sorted(interview.feedback)},
            by=by,
        )
    return interview
