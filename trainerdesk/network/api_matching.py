"""Matching endpoints under /api/v1/matching/. Access as on the pages
(network/access.py): a client never sees a ranking (404), a member only
their own candidates on open openings, a candidate only themselves."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from ninja import Field, Router, Schema, Status

from trainerdesk.lib.api_schemas import ErrorOut
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network import access as matching_access
from trainerdesk.network.models import Ranking
from trainerdesk.network.services import matching as matching_services
from trainerdesk.workbench.api import ObjectId

router = Router(tags=["matching"])

ART22 = (
    "The score only orders candidates; nobody is rejected by it alone (GDPR Art. 22): "
    "a person decides."
)


class RankingOut(Schema):
    id: int
    opening: int
    member: int | None = Field(description="Whose candidates were ranked; null: the whole network.")
    rule: str
    rule_version: int
    computed_at: datetime
    considered: int
    passed_hard: int
    inputs_digest: str = Field(
        description="sha256 over the rule, requirements, scope, time, "
        "the considered candidates' columns and the evidence ids read."
    )
    notice: str = ART22
    results: list[dict] = Field(
        description="Ranked entries (rank, score, contributions with "
        "the interval counted and what is needed), then hard-filter "
        "failures (rank null, hard_failures with reasons)."
    )


def _out(ranking: Ranking, results: list[dict]) -> dict:
    return {
        "id": ranking.pk,
        "opening": ranking.opening_id,
        "member": ranking.member_id,
        "rule": ranking.rule,
        "rule_version": ranking.rule_version,
        "computed_at": ranking.computed_at,
        "considered": ranking.considered,
        "passed_hard": ranking.passed_hard,
        "inputs_digest": ranking.inputs_digest,
        "results": results,
    }


def _strip_names(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "name"} for e in results]


@router.post(
    "/openings/{opening_id}/rankings",
    response={201: RankingOut, 409: ErrorOut},
    summary="Rank candidates for an opening (members: their own; staff: the network)",
)
def create_ranking(request: ApiRequest, opening_id: ObjectId):
    opening, member = matching_access.opening_for_ranking(request.auth, opening_id)
    ranking = matching_services.rank_opening(opening=opening, member=member, by=request.auth)
    results = matching_access.visible_results(ranking, member)
    return Status(201, _out(ranking, _strip_names(results)))


@router.get(
    "/openings/{opening_id}/rankings/latest",
    response=RankingOut,
    summary="The latest ranking the caller made visible for this opening",
)
def latest_ranking(request: ApiRequest, opening_id: ObjectId):
    opening, member = matching_access.opening_for_ranking(request.auth, opening_id)
    ranking = matching_access.latest_ranking(opening, member)
    if ranking is None:
        raise Http404("No ranking yet: POST one")
    return _out(ranking, _strip_names(matching_access.visible_results(ranking, member)))


class OpeningFitOut(Schema):
    opening: int
    title: str
    client: str
    score: float
    contributions: list[dict]
    notice: str = ART22


@router.get(
    "/candidates/me/openings",
    response=list[OpeningFitOut],
    summary="For the signed-in candidate: open openings they pass the hard requirements of",
)
def my_openings(request: ApiRequest):
    person = matching_access.own_candidate(request.auth)
    found = matching_services.openings_for_candidate(candidate=person)
    return [
        {
            "opening": e["opening"].pk,
            "title": e["opening"].title,
            "client": e["opening"].client.name,
            "score": e["score"],
            "contributions": e["contributions"],
        }
        for e in found
    ]
