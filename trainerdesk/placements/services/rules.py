"""The checks a submission must pass before a candidate's data goes to a client. They
write nothing: `submit_candidate` and the sourced → submitted move call
`submission_refusals` inside their transaction, with the rows locked."""

from __future__ import annotations

from django.utils import timezone

from trainerdesk.network import services as network_services
from trainerdesk.network.models import (
    Candidate,
    Consent,
    Member,
    Opening,
    Representation,
)
from trainerdesk.placements.models import FairPlayPolicy, Ownership, Submission

# A membership in these states may submit: "grace" is a renewal not yet paid within the
# plan's grace days; expired and cancelled are lapsed.


def member_submit_refusal(member: Member) -> str | None:
    """Why `member` may not submit anyone, or None: the network's one rule
    (`network.services.member_can_submit`: approved, with an active period covering
    today; a period in grace is overdue)."""
    check = network_services.member_can_submit(member)
    return None if check else f"member: {check.reason}"


def live_consent(candidate: Candidate, opening: Opening) -> Consent | None:
    return (
        Consent.objects.filter(
            candidate=candidate,
            purpose=Consent.Purpose.SUBMIT_TO_CLIENT,
            client_id=opening.client_id,
            withdrawn_at__isnull=True,
        )
        .order_by("-granted_at", "-id")
        .first()
    )


def active_ownership(candidate: Candidate, client_id: int, at=None) -> Ownership | None:
    return (
        Ownership.objects.active(at)
        .filter(candidate=candidate, client_id=client_id)
        .order_by("-starts_at", "-id")
        .first()
    )


def submission_refusals(
    *,
    candidate: Candidate,
    opening: Opening,
    member: Member,
    policy: FairPlayPolicy,
    to_client: bool,
    exclude: Submission | None = None,
) -> str | None:
    """The first reason this submission is refused, or None. `to_client`: the candidate
    goes to the client now (submitted), so consent, the cap and ownership apply; a
    sourced row is the member's own shortlist and needs only the first checks."""
    if (refusal := member_submit_refusal(member)) is not None:
        return refusal
    if candidate.merged_into_id is not None or candidate.anonymised_at is not None:
        return "candidate: this record was merged or anonymised"
    represents = Representation.objects.filter(
        member=member, candidate=candidate, ended_at__isnull=True
    ).exists()
    if not represents:
        return "candidate: you do not represent this candidate"
    if opening.status != Opening.Status.OPEN:
        return f"opening: the role is not open ({opening.get_status_display().lower()})"
    others = Submission.objects.live().filter(candidate=candidate, opening=opening)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if not to_client:
        if (dup := others.first()) is not None:
            return _duplicate(dup)
        return None
    if live_consent(candidate, opening) is None:
        return (
            f"consent: the candidate has no valid consent to be submitted to "
            f"{opening.client.name} (purpose submit_to_client, not withdrawn)"
        )
    pending = Submission.objects.pending().filter(member=member, opening=opening)
    cap = policy.pending_cap_per_member_per_opening
    if pending.count() >= cap:
        return (
            f"fair-play rule 'pending cap' (policy version {policy.version}): at most {cap} "
            f"pending submissions per member and role; you have {cap} waiting for this role"
        )
    owner = active_ownership(candidate, opening.client_id)
    if owner is not None and owner.member_id != member.pk:
        return (
            f"fair-play rule 'ownership' (policy version {policy.version}): another member "
            f"submitted this candidate to {opening.client.name} first and owns them there "
            f"until {timezone.localdate(owner.ends_at).isoformat()}; staff resolve disputes"
        )
    if (dup := others.first()) is not None:
        return _duplicate(dup)
    return None


def _duplicate(existing: Submission) -> str:
    return (
        f"candidate: already submitted to this role (submission {existing.pk}, "
        f"{existing.get_stage_display().lower()})"
    )
