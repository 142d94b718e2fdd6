"""Candidates, representation requests and consents in the JSON API."""

from __future__ import annotations

import datetime

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from pydantic import Field

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network import access, services
from trainerdesk.network.api_common import PageQuery, call, page
from trainerdesk.network.models import RepresentationRequest

router = Router(tags=["network candidates"])
DENIED = {403: ErrorOut, 409: ErrorOut}


class LanguageIO(Schema):
    code: str = Field(description="ISO 639 code, e.g. en.")
    level: str = Field(description="A1..C2 or native.")


class ConsentOut(Schema):
    id: int
    purpose: str
    client: int | None = Field(alias="client_id")
    method: str
    text_version: int
    granted_at: datetime.datetime
    withdrawn_at: datetime.datetime | None


class CandidateOut(Schema):
    id: int
    full_name: str
    email: str | None
    phone: str | None
    profile_url: str | None
    country: str
    location: str
    work_authorisation: list[str]
    domains: list[str]
    tools: list[str]
    hours_per_week: int | None
    available_from: datetime.date | None
    rate_cents: int | None
    rate_currency: str
    has_login: bool
    languages: list[LanguageIO]
    consents: list[ConsentOut]
    merged_into: int | None = Field(alias="merged_into_id")

    @staticmethod
    def resolve_has_login(obj) -> bool:
        return obj.user_id is not None

    @staticmethod
    def resolve_languages(obj) -> list:
        return list(obj.languages.all())

    @staticmethod
    def resolve_consents(obj) -> list:
        return list(obj.consents.all())


class CandidateIn(InputSchema):
    full_name: str
    email: str = ""
    phone: str = ""
    profile_url: str = ""
    country: str = ""
    location: str = ""
    work_authorisation: list[str] = []
    domains: list[str] = []
    tools: list[str] = []
    hours_per_week: int | None = None
    available_from: datetime.date | None = Field(None, strict=False)
    rate_cents: int | None = None
    rate_currency: str = ""
    languages: list[LanguageIO] = []
    consent_held: bool = Field(False, description="You hold their written talent-pool consent.")


class CandidatePatch(InputSchema):
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    profile_url: str | None = None
    country: str | None = None
    location: str | None = None
    work_authorisation: list[str] | None = None
    domains: list[str] | None = None
    tools: list[str] | None = None
    hours_per_week: int | None = None
    available_from: datetime.date | None = Field(None, strict=False)
    rate_cents: int | None = None
    rate_currency: str | None = None
    languages: list[LanguageIO] | None = None


class CandidatePage(Schema):
    candidates: list[CandidateOut]
    next_after: int | None


class CandidateQuery(PageQuery):
    q: str = Field("", max_length=200, description="Part of the name, e-mail or profile URL.")


def search(qs, q: str):
    q = q.strip()
    if not q:
        return qs
    return qs.filter(
        Q(full_name__icontains=q)
        | Q(email__icontains=q.lower())
        | Q(profile_url__icontains=q.lower())
    )


@router.get("/network/candidates", response=CandidatePage, summary="My candidates")
def list_candidates(request: ApiRequest, query: Query[CandidateQuery]):
    qs = search(access.candidates_for(request.auth), query.q).prefetch_related(
        "languages", "consents"
    )
    rows, cursor = page(qs.distinct(), query)
    return {"candidates": rows, "next_after": cursor}


@router.post(
    "/network/candidates",
    response={201: CandidateOut, **DENIED},
    summary="Add a candidate you represent",
)
def add_candidate(request: ApiRequest, body: CandidateIn):
    member = access.approved_member_of(request.auth)
    data = body.dict()
    languages, consent_held = data.pop("languages"), data.pop("consent_held")
    return Status(
        201,
        call(
            services.add_candidate,
            member=member,
            profile=data,
            languages=languages,
            consent_held=consent_held,
            by=request.auth,
        ),
    )


@router.get("/network/candidates/{candidate_id}", response=CandidateOut, summary="One candidate")
def get_candidate(request: ApiRequest, candidate_id: int):
    return access.get_candidate_for_user(request.auth, candidate_id)


@router.patch(
    "/network/candidates/{candidate_id}",
    response={200: CandidateOut, **DENIED},
    summary="Change a candidate's profile",
)
def patch_candidate(request: ApiRequest, candidate_id: int, body: CandidatePatch):
    candidate = access.get_candidate_for_user(request.auth, candidate_id)
    data = body.dict(exclude_unset=True)
    languages = data.pop("languages", None)
    return call(
        services.update_candidate,
        candidate=candidate,
        profile=data,
        languages=languages,
        by=request.auth,
    )


class MergeIn(InputSchema):
    duplicate: int = Field(description="The record folded into this one.")


@router.post(
    "/network/candidates/{candidate_id}/merge",
    response={200: CandidateOut, **DENIED},
    summary="Merge a duplicate into this candidate (staff)",
)
def merge(request: ApiRequest, candidate_id: int, body: MergeIn):
    access.require_staff(request.auth)
    keep = access.get_candidate_for_user(request.auth, candidate_id)
    duplicate = access.get_candidate_for_user(request.auth, body.duplicate)
    return call(services.merge_candidates, keep=keep, duplicate=duplicate, by=request.auth)


class InvitationOut(Schema):
    url: str = Field(description="The link to send to the candidate's e-mail address.")
    expires_at: datetime.datetime


@router.post(
    "/network/candidates/{candidate_id}/invitation",
    response={201: InvitationOut, **DENIED},
    summary="A link for the candidate to make their own login (their recruiter or staff)",
)
def invite(request: ApiRequest, candidate_id: int):
    from django.urls import reverse

    candidate = access.get_candidate_for_user(request.auth, candidate_id)
    token, expires = call(services.invite_candidate, candidate=candidate, by=request.auth)
    url = request.build_absolute_uri(reverse("network:join", args=[token]))
    return Status(201, {"url": url, "expires_at": expires})


class RequestIn(InputSchema):
    field: str = Field(description="email, phone or profile_url: what the refusal named.")
    value: str
    message: str = ""


class RequestOut(Schema):
    id: int
    status: str
    message: str
    created_at: datetime.datetime
    member: str = Field(alias="member.display_name")


@router.post(
    "/network/representation-requests",
    response={201: RequestOut, **DENIED},
    summary="Ask a candidate already in the network to let you represent them",
)
def request_representation(request: ApiRequest, body: RequestIn):
    member = access.approved_member_of(request.auth)
    return Status(
        201, call(services.request_representation, member=member, **body.dict(), by=request.auth)
    )


@router.get(
    "/network/representation-requests",
    response=list[RequestOut],
    summary="Requests to represent me (candidate)",
)
def my_requests(request: ApiRequest):
    own = access.candidate_of(request.auth)
    if own is None:
        return []
    return list(RepresentationRequest.objects.filter(candidate=own).select_related("member"))


class AnswerIn(InputSchema):
    grant: bool


@router.post(
    "/network/representation-requests/{request_id}/answer",
    response={200: RequestOut, **DENIED},
    summary="Grant or decline (candidate)",
)
def answer(request: ApiRequest, request_id: int, body: AnswerIn):
    found = access.get_request_for_candidate(request.auth, request_id)
    return call(
        services.answer_representation_request, request=found, grant=body.grant, by=request.auth
    )


class ConsentIn(InputSchema):
    purpose: str = Field(description="profile, submit_to_client or use_workbench_results.")
    client: int | None = None
    method: str = Field("candidate_portal", description="candidate_portal or member_recorded.")


@router.post(
    "/network/candidates/{candidate_id}/consents",
    response={201: ConsentOut, **DENIED},
    summary="Give (candidate) or record (member) a consent",
)
def grant(request: ApiRequest, candidate_id: int, body: ConsentIn):
    candidate = access.get_candidate_for_user(request.auth, candidate_id)
    client = None
    if body.client is not None:
        from trainerdesk.network.models import Client

        client = Client.objects.filter(pk=body.client, status="approved").first()
        if client is None:
            raise services.InvalidInput(["client: not an approved client"])
    return Status(
        201,
        call(
            services.grant_consent,
            candidate=candidate,
            purpose=body.purpose,
            client=client,
            method=body.method,
            by=request.auth,
        ),
    )


@router.post(
    "/network/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **DENIED},
    summary="Withdraw a consent",
)
def withdraw(request: ApiRequest, consent_id: int):
    consent = access.get_consent_for_user(request.auth, consent_id)
    return call(services.withdraw_consent, consent=consent, by=request.auth)


class WorkbenchEvidenceIn(InputSchema):
    project: int = Field(description="A workbench project the candidate annotates on.")
    task_type: str
    domain: str


class EvidenceOut(Schema):
    id: int
    task_type: str
    domain: str
    source: str


@router.post(
    "/network/candidates/{candidate_id}/workbench-evidence",
    response={201: EvidenceOut, **DENIED},
    summary="Record the candidate's scorecard on a project as evidence (needs their consent)",
)
def workbench_evidence(request: ApiRequest, candidate_id: int, body: WorkbenchEvidenceIn):
    candidate = access.get_candidate_for_user(request.auth, candidate_id)
    project = access.get_evidence_project(request.auth, candidate, body.project)
    evidence = call(
        services.record_workbench_evidence,
        candidate=candidate,
        project=project,
        task_type=body.task_type,
        domain=body.domain,
        by=request.auth,
    )
    return Status(201, evidence)
