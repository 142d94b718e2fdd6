"""Evidence: what matching reads, from assessments and (with consent) client work."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.quality import services as quality
from trainerdesk.vetting.models import Domain, Evidence, TaskType
from trainerdesk.workbench.models import Project, ProjectMember

# How long a scorecard taken from client work counts: an assessment's default validity.
SCORECARD_VALID_DAYS = 365


def _agreement(peer: dict) -> float | None:
    """The scorecard's peer agreement as one number: the mean, over the schema's fields,
    of the mean percent agreement with each fellow annotator (fields without a pair are
    left out)."""
    values = [
        f["mean_percent_agreement"]
        for f in peer.values()
        if f.get("mean_percent_agreement") is not None
    ]
    return sum(values) / len(values) if values else None


def record_scorecard_evidence(
    *, user, project: Project, task_type: str, domain: str, by
) -> Evidence:
    """Evidence from the user's work on a client project: their quality Scorecard (gold
    accuracy with its Wilson interval when the project has gold, peer agreement from the
    latest agreement report, median lead time), stored and digested by the quality app.

    Precondition: the person consented to their workbench figures being used for
    placement. The network app records that consent and checks it before calling this;
    this function does not (vetting sits below network and cannot read it)."""
    errors = []
    if task_type not in TaskType.values:
        errors.append(f"task_type: must be one of {', '.join(TaskType.values)}")
    if domain not in Domain.values:
        errors.append(f"domain: must be one of {', '.join(Domain.values)}")
    if not ProjectMember.objects.filter(project=project, user=user).exists():
        errors.append(f"user: {user.get_username()} does not work on {project.name}")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        scorecard = quality.record_scorecard(project=project, annotator=user, by=by)
        data = scorecard.data
        gold = data.get("gold_accuracy") or {}
        has_gold = bool(gold.get("available"))
        now = timezone.now()
        evidence = Evidence.objects.create(
            user=user,
            task_type=task_type,
            domain=domain,
            source=Evidence.Source.SCORECARD,
            scorecard=scorecard,
            n=gold.get("n", 0) if has_gold else data.get("items_done", 0),
            accuracy=gold.get("accuracy") if has_gold else None,
            low=gold.get("low") if has_gold else None,
            high=gold.get("high") if has_gold else None,
            agreement=_agreement(data.get("peer_agreement") or {}),
            lead_time_seconds=data.get("median_lead_time"),
            measured_at=now,
            valid_until=now + timedelta(days=SCORECARD_VALID_DAYS),
            inputs_digest=scorecard.digest,
        )
        audit.record(
            action="vetting.evidence.create",
            obj=evidence,
            project=project,
            changes={
                "source": evidence.source,
                "scorecard_id": scorecard.pk,
                "user_id": user.pk,
                "task_type": task_type,
                "domain": domain,
            },
            by=by,
        )
    return evidence


def evidence_for(user):
    """Everything measured about the user, newest first (stale rows included: pages show
    them as expired)."""
    return Evidence.objects.filter(user=user).select_related("attempt__assessment")


def best_evidence(
    user_ids, task_type: str, domain: str, at: datetime | None = None
) -> dict[int, Evidence]:
    """Per user, their valid evidence for the skill with the highest lower bound (ties:
    the most recent). Stale evidence (past valid_until at `at`) counts as missing."""
    rows = (
        Evidence.objects.valid(at)
        .filter(user_id__in=list(user_ids), task_type=task_type, domain=domain)
        .order_by("user_id", F("low").desc(nulls_last=True), "-measured_at", "-id")
    )
    best: dict[int, Evidence] = {}
    for row in rows:
        current = best.get(row.user_id)
        if current is None or (current.low is None and row.low is not None):
            best[row.user_id] = row
    return best
