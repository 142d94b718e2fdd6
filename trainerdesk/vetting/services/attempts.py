"""Attempts: drawing a candidate's sample, and scoring it through the quality app."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality import services as quality
from trainerdesk.vetting.models import Assessment, Attempt, Evidence
from trainerdesk.vetting.services.assessments import gold_pool, note_pool_changes
from trainerdesk.vetting.services.workspace import create_workspace
from trainerdesk.workbench.models import Annotation

if TYPE_CHECKING:
    from trainerdesk.quality import metrics
else:  # NumPy loads on first use (lib/lazy.py), not with every page importing services
    metrics = lazy_module("trainerdesk.quality.metrics")

# Which pool items a candidate gets comes from the OS's CSPRNG: nobody can predict or
# replay another candidate's sample (tests pass a seeded random.Random).
_draw = secrets.SystemRandom()


def draw_items(*, assessment: Assessment, rng: random.Random | None = None) -> list[int]:
    """`items_per_attempt` distinct gold items of the pool, in a random order."""
    pool = sorted(gold_pool(assessment.project).values_list("pk", flat=True))
    if len(pool) < assessment.items_per_attempt:
        raise InvalidInput(
            [
                f"project: the pool has {len(pool)} gold item(s); an attempt draws "
                f"{assessment.items_per_attempt}"
            ]
        )
    return (rng or _draw).sample(pool, assessment.items_per_attempt)


def retake_from(*, assessment: Assessment, user):
    """When the user may take the assessment again (None: now): the retake wait after
    their latest finished attempt."""
    last = (
        Attempt.objects.filter(assessment=assessment, user=user, finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )
    if last is None or last.finished_at is None or not assessment.retake_wait_days:
        return None
    at = last.finished_at + timedelta(days=assessment.retake_wait_days)
    return at if at > timezone.now() else None


def open_attempt(*, assessment: Assessment, user) -> Attempt | None:
    return Attempt.objects.filter(
        assessment=assessment, user=user, status=Attempt.Status.IN_PROGRESS
    ).first()


def start_attempt(*, assessment: Assessment, user, by, rng: random.Random | None = None) -> Attempt:
    """Draw the user's items and make the workspace they answer them in."""
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if assessment.status != Assessment.Status.ACTIVE:
            raise ConflictError(f"assessment: {assessment.title} is not open to candidates")
        if open_attempt(assessment=assessment, user=user) is not None:
            raise ConflictError(
                f"attempt: you have an attempt of {assessment.title} in progress; finish it first"
            )
        if (wait := retake_from(assessment=assessment, user=user)) is not None:
            raise ConflictError(
                f"attempt: you can take {assessment.title} again from "
                f"{timezone.localtime(wait):%Y-%m-%d %H:%M} ({assessment.retake_wait_days} "
                "days after your last attempt)"
            )
        assessment = note_pool_changes(assessment=assessment, by=by)
        drawn = draw_items(assessment=assessment, rng=rng)
        number = Attempt.objects.filter(assessment=assessment, user=user).count() + 1
        workspace, copies = create_workspace(
            pool=assessment.project,
            name=f"{assessment.title} (attempt {number})",
            user=user,
            item_ids=drawn,
            threshold=assessment.pass_threshold,
            by=by,
        )
        attempt = Attempt.objects.create(
            assessment=assessment,
            user=user,
            assessment_version=assessment.version,
            item_ids=drawn,
            workspace=workspace,
            copy_item_ids=copies,
        )
        audit.record(
            action="vetting.attempt.start",
            obj=attempt,
            project=workspace,
            changes={
                "assessment_id": assessment.pk,
                "version": assessment.version,
                "user_id": user.pk,
                "items": len(drawn),
            },
            by=by,
        )
    return attempt


def attempt_progress(attempt: Attempt) -> tuple[int, int]:
    """(items the candidate answered or skipped, items drawn)."""
    done = (
        Annotation.objects.filter(item_id__in=attempt.copy_item_ids, annotator_id=attempt.user_id)
        .values("item_id")
        .distinct()
        .count()
    )
    return done, len(attempt.copy_item_ids)


def abandon_attempt(*, attempt: Attempt, by) -> Attempt:
    """Give up an attempt in progress. It counts as finished for the retake wait: drawing a
    fresh sample by abandoning one (and having seen its items) would let a candidate shop
    for an easy draw. Its answers stay (they are what was seen and done); no result."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update().select_related("assessment").get(pk=attempt.pk)
        )
        if by is None or attempt.user_id != by.pk:
            raise ConflictError("attempt: only the candidate taking it can abandon it")
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise ConflictError(f"attempt: it is {attempt.get_status_display().lower()}")
        done, total = attempt_progress(attempt)
        attempt.status, attempt.finished_at = Attempt.Status.ABANDONED, timezone.now()
        attempt.save(update_fields=["status", "finished_at"])
        audit.record(
            action="vetting.attempt.abandon",
            obj=attempt,
            project=attempt.workspace_id,
            changes={"answered": done, "items": total, "version": attempt.assessment_version},
            by=by,
        )
    return attempt


def score_attempt(*, attempt: Attempt, by) -> Attempt:
    """Score a finished attempt: quality's gold snapshot over the workspace (exactly the
    drawn items), skipped items counted as not correct, the assessment's pass rule on the
    Wilson lower bound, and the Evidence row matching reads."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update().select_related("assessment").get(pk=attempt.pk)
        )
        if attempt.status == Attempt.Status.SCORED:
            raise ConflictError("attempt: already scored")
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise ConflictError("attempt: it was abandoned, so it has no result")
        done, total = attempt_progress(attempt)
        if done < total:
            raise ConflictError(f"attempt: {total - done} of {total} items still to answer")
        assessment, workspace = attempt.assessment, attempt.workspace
        if workspace is None:  # every attempt gets one at start; a row made by hand may not
            raise ConflictError("attempt: it has no workspace to score")
        snapshots = quality.record_gold_snapshots(
            project=workspace, by=by, annotator_ids=[attempt.user_id]
        )
        snapshot = snapshots[0] if snapshots else None  # None: every item skipped
        correct = snapshot.correct if snapshot else 0
        verdict = metrics.gold_verdict(
            correct, total, threshold=assessment.pass_threshold, min_items=total
        )
        now = timezone.now()
        answers = Annotation.objects.filter(project=workspace, annotator_id=attempt.user_id)
        attempt.snapshot = snapshot
        attempt.n, attempt.correct = total, correct
        attempt.skipped = total - (snapshot.n if snapshot else 0)
        attempt.accuracy = verdict.accuracy
        attempt.low = verdict.interval.low if verdict.interval else None
        attempt.high = verdict.interval.high if verdict.interval else None
        attempt.passed = verdict.status == metrics.PASS
        attempt.lead_time_seconds = answers.filter(skipped=False).median_lead_time()
        attempt.status, attempt.finished_at = Attempt.Status.SCORED, now
        attempt.valid_until = now + timedelta(days=assessment.validity_days)
        attempt.save()
        evidence = Evidence.objects.create(
            user_id=attempt.user_id,
            task_type=assessment.task_type,
            domain=assessment.domain,
            source=Evidence.Source.ASSESSMENT,
            attempt=attempt,
            n=total,
            accuracy=attempt.accuracy,
            low=attempt.low,
            high=attempt.high,
            lead_time_seconds=attempt.lead_time_seconds,
            measured_at=now,
            valid_until=attempt.valid_until,
            inputs_digest=snapshot.items_digest if snapshot else quality.gold_digest([]),
        )
        audit.record(
            action="vetting.attempt.score",
            obj=attempt,
            project=workspace,
            changes={
                "n": total,
                "correct": correct,
                "skipped": attempt.skipped,
                "low": attempt.low,
                "passed": attempt.passed,
                "version": attempt.assessment_version,
                "snapshot_id": snapshot.pk if snapshot else None,
            },
            by=by,
        )
        audit.record(
            action="vetting.evidence.create",
            obj=evidence,
            project=workspace,
            changes={
                "source": evidence.source,
                "attempt_id": attempt.pk,
                "user_id": attempt.user_id,
            },
            by=by,
        )
    return attempt
