"""Who may see which pipeline records: the one place that answers 404.

Staff see everything. A member sees their own submissions (and what hangs off them). A
client's contact sees submissions to their client's openings once submitted — never a
sourced one, and nothing of another client. Anything else is "not found", never a hint
that it exists."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from trainerdesk.network.models import Candidate, Client, Member, Opening
from trainerdesk.placements import parties
from trainerdesk.placements.models import (
    CLIENT_VISIBLE,
    Interview,
    Offer,
    Ownership,
    OwnershipDispute,
    Placement,
    Submission,
)
from trainerdesk.placements.services.rules import active_ownership
from trainerdesk.workbench.access import key_or_404


def visible_submissions(user):
    qs = Submission.objects.select_related("candidate", "opening__client", "member")
    if parties.is_staff(user):
        return qs
    rule = Q(pk__in=[])
    if (member := parties.member_for(user)) is not None:
        rule |= Q(member=member)
    if client_ids := parties.client_ids_for(user):
        rule |= Q(opening__client_id__in=client_ids, stage__in=CLIENT_VISIBLE)
    return qs.filter(rule)


def get_submission_for_user(user, submission_id) -> Submission:
    try:
        return visible_submissions(user).get(pk=key_or_404(submission_id))
    except Submission.DoesNotExist:
        raise Http404("No such submission") from None


def get_interview_for_user(user, interview_id) -> Interview:
    interview = Interview.objects.filter(pk=key_or_404(interview_id)).first()
    if interview is None:
        raise Http404("No such interview")
    get_submission_for_user(user, interview.submission_id)
    return interview


def get_offer_for_user(user, offer_id) -> Offer:
    offer = Offer.objects.filter(pk=key_or_404(offer_id)).first()
    if offer is None:
        raise Http404("No such offer")
    get_submission_for_user(user, offer.submission_id)
    return offer


def visible_placements(user):
    ids = visible_submissions(user).values("pk")
    return Placement.objects.filter(submission__in=ids).select_related(
        "submission__candidate", "submission__opening", "member", "client"
    )


def get_placement_for_user(user, placement_id) -> Placement:
    try:
        return visible_placements(user).get(pk=key_or_404(placement_id))
    except Placement.DoesNotExist:
        raise Http404("No such placement") from None


def member_or_404(user) -> Member:
    member = parties.member_for(user)
    if member is None:
        raise Http404("Not a member of the network")
    return member


def client_ids_or_404(user) -> list[int]:
    ids = parties.client_ids_for(user)
    if not ids:
        raise Http404("Not a client contact")
    return ids


def staff_or_404(user) -> None:
    if not parties.is_staff(user):
        raise Http404("Not found")


def get_opening_for_client(user, opening_id) -> Opening:
    qs = Opening.objects.select_related("client")
    if not parties.is_staff(user):
        qs = qs.filter(client_id__in=parties.client_ids_for(user))
    try:
        return qs.get(pk=key_or_404(opening_id))
    except Opening.DoesNotExist:
        raise Http404("No such role") from None


def get_submittable(user, candidate_id, opening_id) -> tuple[Member, Candidate, Opening]:
    """What a member may try to submit: a candidate they represent, an opening they
    can see (open roles are listed to every member). The rules are the service's."""
    member = member_or_404(user)
    candidate = (
        Candidate.objects.live()
        .filter(
            pk=key_or_404(candidate_id),
            representations__member=member,
            representations__ended_at__isnull=True,
        )
        .first()
    )
    opening = Opening.objects.filter(pk=key_or_404(opening_id)).first()
    if candidate is None or opening is None:
        raise Http404("No such candidate or role")
    return member, candidate, opening


def get_disputable_ownership(user, candidate_id, client_id) -> tuple[Member, Ownership]:
    """A member disputes the current ownership of a candidate they represent at a client."""
    member = member_or_404(user)
    candidate = Candidate.objects.filter(
        pk=key_or_404(candidate_id),
        representations__member=member,
        representations__ended_at__isnull=True,
    ).first()
    client = Client.objects.filter(pk=key_or_404(client_id)).first()
    owner = active_ownership(candidate, client.pk) if candidate and client else None
    if owner is None:
        raise Http404("No current ownership of that candidate at that client")
    return member, owner


def get_dispute_for_staff(user, dispute_id) -> OwnershipDispute:
    staff_or_404(user)
    try:
        return OwnershipDispute.objects.select_related("ownership", "claimant").get(
            pk=key_or_404(dispute_id)
        )
    except OwnershipDispute.DoesNotExist:
        raise Http404("No such dispute") from None
