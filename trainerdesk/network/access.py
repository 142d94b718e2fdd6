"""Who may see what in the network: the one place that answers 404. Members see the
candidates they represent, client contacts their company and its roles, candidates
themselves, staff everything; anything else is "not found"."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from trainerdesk.network.models import (
    Candidate,
    Client,
    Consent,
    Member,
    Opening,
    Ranking,
    Representation,
    RepresentationRequest,
)
from trainerdesk.network.services.memberships import member_can_submit

MAX_ID = 2**63 - 1


def member_of(user: Any) -> Member | None:
    return getattr(user, "network_member", None) if user and user.is_authenticated else None


def candidate_of(user: Any) -> Candidate | None:
    if not (user and user.is_authenticated):
        return None
    person = getattr(user, "candidate", None)
    return person if person is not None and person.merged_into_id is None else None


def client_ids_of(user: Any) -> list[int]:
    if not (user and user.is_authenticated):
        return []
    return list(user.client_contacts.values_list("client_id", flat=True))


def personas(user: Any) -> set[str]:
    """Which network hats a user wears: staff, member, client, candidate."""
    found: set[str] = set()
    if not (user and user.is_authenticated):
        return found
    if user.is_staff:
        found.add("staff")
    if member_of(user) is not None:
        found.add("member")
    if client_ids_of(user):
        found.add("client")
    if candidate_of(user) is not None:
        found.add("candidate")
    return found


def require_staff(user: Any) -> None:
    if not (user and user.is_authenticated and user.is_staff):
        raise Http404("Not found")


def approved_member_of(user: Any) -> Member:
    member = member_of(user)
    if member is None or member.status != "approved":
        raise Http404("Not found")
    return member


def candidates_for(user: Any) -> QuerySet[Candidate]:
    qs = Candidate.objects.live()
    if user.is_staff:
        return qs
    member = member_of(user)
    if member is None:
        return qs.none()
    return qs.filter(representations__member=member, representations__ended_at__isnull=True)


def get_candidate_for_user(user: Any, candidate_id: int) -> Candidate:
    """A candidate the user may see and edit: one they represent, themselves, or (staff)
    any record, merged ones included (the merge tool shows them)."""
    if not (user and user.is_authenticated) or not 0 < candidate_id <= MAX_ID:
        raise Http404("Not found")
    if user.is_staff:
        found = Candidate.objects.filter(pk=candidate_id).first()
    else:
        own = candidate_of(user)
        if own is not None and own.pk == candidate_id:
            return own
        found = candidates_for(user).filter(pk=candidate_id).first()
    if found is None:
        raise Http404("Not found")
    return found


def clients_for(user: Any) -> QuerySet[Client]:
    if user.is_staff:
        return Client.objects.all()
    return Client.objects.filter(pk__in=client_ids_of(user))


def get_evidence_project(user: Any, candidate: Candidate, project_id: int) -> Any:
    """A workbench project whose scorecard may become the candidate's evidence: one the
    candidate works on. Any other id is "not found", so the endpoint can't be used to learn
    which projects exist or what they are called."""
    from trainerdesk.workbench.models import Project

    if candidate.user_id is None or not 0 < project_id <= MAX_ID:
        raise Http404("Not found")
    found = Project.objects.filter(pk=project_id, members__user_id=candidate.user_id).first()
    if found is None:
        raise Http404("Not found")
    return found


def get_client_for_user(user: Any, client_id: int) -> Client:
    if not (user and user.is_authenticated) or not 0 < client_id <= MAX_ID:
        raise Http404("Not found")
    found = clients_for(user).filter(pk=client_id).first()
    if found is None:
        raise Http404("Not found")
    return found


def openings_for(user: Any) -> QuerySet[Opening]:
    """Staff: all; a client contact: their company's; an approved member: the open ones
    (they source for them)."""
    qs = Opening.objects.select_related("client")
    if user.is_staff:
        return qs
    mine = qs.filter(client_id__in=client_ids_of(user))
    member = member_of(user)
    if member is not None and member.status == "approved":
        return qs.filter(pk__in=mine.values("pk")) | qs.filter(status=Opening.Status.OPEN)
    return mine


def get_opening_for_user(user: Any, opening_id: int, *, manage: bool = False) -> Opening:
    """`manage`: the user must be staff or a contact of the opening's client."""
    if not (user and user.is_authenticated) or not 0 < opening_id <= MAX_ID:
        raise Http404("Not found")
    found = openings_for(user).filter(pk=opening_id).first()
    if found is None:
        raise Http404("Not found")
    if manage and not (user.is_staff or found.client_id in client_ids_of(user)):
        raise Http404("Not found")
    return found


def get_consent_for_user(user: Any, consent_id: int) -> Consent:
    """A consent of a candidate the user may see (get_candidate_for_user), else 404."""
    consent = Consent.objects.filter(pk=consent_id).first() if consent_id <= MAX_ID else None
    if consent is None:
        raise Http404("Not found")
    get_candidate_for_user(user, consent.candidate_id)
    return consent


def get_member_for_staff(user: Any, member_id: int) -> Member:
    require_staff(user)
    found = Member.objects.filter(pk=member_id).first() if 0 < member_id <= MAX_ID else None
    if found is None:
        raise Http404("Not found")
    return found


def get_request_for_candidate(user: Any, request_id: int) -> RepresentationRequest:
    own = candidate_of(user)
    found = (
        RepresentationRequest.objects.filter(pk=request_id, candidate=own).first()
        if own is not None and 0 < request_id <= MAX_ID
        else None
    )
    if found is None:
        raise Http404("Not found")
    return found


# -- rankings: who may see which (404 for anything else) ------------------------------


def active_member(user) -> Member | None:
    """The user's member record when approved with an active membership (only they may
    submit candidates, so only they see rankings)."""
    member = Member.objects.filter(user=user, status="approved").first()
    if member is None or not member_can_submit(member):
        return None
    return member


def opening_for_ranking(user, opening_id: int) -> tuple[Opening, Member | None]:
    """The opening and whose candidates the user sees ranked: staff the whole network
    (None), an active member their own for an OPEN opening. Anyone else, a client's
    contact above all, gets 404."""
    opening = Opening.objects.select_related("client").filter(pk=opening_id).first()
    if opening is None or opening.client.contacts.filter(user=user).exists():
        raise Http404("No such opening")
    if user.is_staff:
        return opening, None
    member = active_member(user)
    if member is None or opening.status != Opening.Status.OPEN:
        raise Http404("No such opening")
    return opening, member


def latest_ranking(opening: Opening, member: Member | None) -> Ranking | None:
    return (
        Ranking.objects.filter(opening=opening, member=member)
        .order_by("-computed_at", "-id")
        .first()
    )


def visible_results(ranking: Ranking, member: Member | None) -> list[dict]:
    """The stored entries the viewer may see now, with each candidate's name: a member
    only the people they still represent."""
    ids = [entry["candidate"] for entry in ranking.results]
    people = Candidate.objects.live().filter(pk__in=ids)
    if member is not None:
        still = Representation.objects.filter(member=member, ended_at__isnull=True)
        people = people.filter(pk__in=still.values("candidate_id"))
    names = dict(people.values_list("id", "full_name"))
    return [
        {**e, "name": names[e["candidate"]]} for e in ranking.results if e["candidate"] in names
    ]


def own_candidate(user) -> Candidate:
    person = Candidate.objects.live().filter(user=user).first()
    if person is None:
        raise Http404("No candidate profile")
    return person


def open_opening(opening_id: int) -> Opening:
    opening = Opening.objects.select_related("client").filter(pk=opening_id, status="open").first()
    if opening is None:
        raise Http404("No such opening")
    return opening
