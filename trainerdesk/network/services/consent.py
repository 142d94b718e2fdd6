"""Consent records: given per purpose (and per client for submissions), withdrawn but
never deleted. While `use_workbench_results` is live, the person's workbench scorecards
can be recorded as evidence (`record_workbench_evidence`, over vetting's service)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.models import ApprovalStatus, Candidate, Client, Consent

P = Consent.Purpose
TEXT_VERSION = 1


def live_consents(candidate: Candidate):
    return candidate.consents.filter(withdrawn_at__isnull=True)


def has_consent(candidate: Candidate, purpose: str, client: Client | None = None) -> bool:
    found = live_consents(candidate).filter(purpose=purpose)
    if purpose == P.SUBMIT_TO_CLIENT:
        if client is None:
            return False
        found = found.filter(client=client)
    return found.exists()


def grant_consent(
    *,
    candidate: Candidate,
    purpose: str,
    client: Client | None = None,
    method: str = Consent.Method.CANDIDATE_PORTAL,
    by: Any,
) -> Consent:
    """The candidate gives consent in the portal; a representing member may record one
    they hold in writing (method member_recorded)."""
    if purpose not in P.values:
        raise InvalidInput([f"purpose: one of {', '.join(P.values)}"])
    if method not in Consent.Method.values:
        raise InvalidInput([f"method: one of {', '.join(Consent.Method.values)}"])
    if purpose == P.SUBMIT_TO_CLIENT:
        if client is None:
            raise InvalidInput(["client: required for consent to submit to a client"])
        if client.status != ApprovalStatus.APPROVED:
            raise InvalidInput(["client: not an approved client"])
    elif client is not None:
        raise InvalidInput([f"client: only for {P.SUBMIT_TO_CLIENT}"])
    is_self = by is not None and candidate.user_id == by.pk
    if method == Consent.Method.CANDIDATE_PORTAL and not is_self:
        raise ConflictError("only the candidate gives consent in the portal")
    if method == Consent.Method.MEMBER_RECORDED and is_self:
        raise InvalidInput(["method: give consent in the portal as candidate_portal"])
    if purpose == P.USE_WORKBENCH_RESULTS and not is_self:
        # Results are the person's own work in other organizations' projects.
        raise ConflictError("only the candidate can let the network use their workbench results")
    with transaction.atomic():
        Candidate.objects.select_for_update().filter(pk=candidate.pk).first()
        existing = live_consents(candidate).filter(purpose=purpose, client=client).first()
        if existing:
            return existing
        consent = Consent.objects.create(
            candidate=candidate,
            purpose=purpose,
            client=client,
            text_version=TEXT_VERSION,
            method=method,
            recorded_by=by,
        )
        audit.record(
            action="network.consent.grant",
            obj=consent,
            by=by,
            changes={
                "candidate": candidate.pk,
                "purpose": purpose,
                "client": client.pk if client else None,
                "method": method,
            },
        )
    return consent


def withdraw_consent(*, consent: Consent, by: Any) -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().select_related("candidate").get(pk=consent.pk)
        if consent.withdrawn_at:
            raise ConflictError("this consent was already withdrawn")
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        audit.record(
            action="network.consent.withdraw",
            obj=consent,
            by=by,
            changes={"candidate": consent.candidate_id, "purpose": consent.purpose},
        )
    return consent


def record_workbench_evidence(
    *, candidate: Candidate, project: Any, task_type: str, domain: str, by: Any
) -> Any:
    """Turn the candidate's scorecard on a workbench project they work on into evidence
    (vetting's `record_scorecard_evidence`), only while their `use_workbench_results`
    consent is live. Staff or the candidate themselves ask for it."""
    from trainerdesk.vetting.services import record_scorecard_evidence

    if by is None or not (by.is_staff or by.pk == candidate.user_id):
        raise ConflictError("only staff or the candidate can record their workbench results")
    if candidate.user_id is None:
        raise ConflictError("this candidate has no login, so no workbench work to read")
    if not has_consent(candidate, P.USE_WORKBENCH_RESULTS):
        raise ConflictError(
            "consent: the candidate has not allowed the network to use their workbench results"
        )
    return record_scorecard_evidence(
        user=candidate.user, project=project, task_type=task_type, domain=domain, by=by
    )
