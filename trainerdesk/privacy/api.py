"""The privacy JSON API under /api/v1/privacy/: staff only (access.py: anyone else gets a
404, as on the pages), the pages' actions through the same services, each audited there.

privacy sits low in the layers (above accounts, below the workbench): this module imports
nothing above it. What other apps hold about a person reaches it through the registry
(`privacy/registry.py`), inside the services.

Writes that produce a file (the access/portability bundle) are POSTs: producing it
completes the request and records `privacy.request.export` with the bundle's sha256."""

from __future__ import annotations

import datetime
import hashlib
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.privacy import access, services
from trainerdesk.privacy.models import DataSubjectRequest

router = Router(tags=["privacy"])

MAX_ID = 2**63 - 1
MAX_PAGE = 500
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows with an id above this.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
REFUSED = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _file(media_type: str, description: str) -> dict:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


class RequestOut(Schema):
    id: int
    kind: str
    status: str
    subject_user: int | None = Field(None, alias="subject_user_id")
    subject_email: str
    subject_candidate_id: int | None
    details: str
    received_at: datetime.datetime
    due_on: datetime.date
    overdue: bool
    identity_method: str
    verified_by: int | None = Field(None, alias="verified_by_id")
    verified_at: datetime.datetime | None
    result: dict[str, Any]
    completed_at: datetime.datetime | None

    @staticmethod
    def resolve_overdue(obj: DataSubjectRequest) -> bool:
        return obj.is_overdue()


class RequestPage(Schema):
    requests: list[RequestOut]
    next_after: int | None


class RequestIn(InputSchema):
    kind: Literal["access", "rectification", "erasure", "portability"]
    email: str = Field("", max_length=254)
    user_id: int | None = Field(None, ge=1, le=MAX_ID)
    candidate_id: int | None = Field(None, ge=1, le=MAX_ID)
    details: str = Field("", max_length=5000)
    received_at: datetime.datetime | None = Field(
        None, strict=False, description="When the request arrived (default: now)."
    )


class VerifyIn(InputSchema):
    method: Literal["signed_in", "email_confirmed", "id_document", "known_contact"]


class CloseIn(InputSchema):
    status: Literal["completed", "rejected"]
    summary: str = Field(max_length=5000, description="What was done, or why not.")


class Retained(Schema):
    table: str
    count: int
    fields: list[str]
    reason: str
    until: str | None


class Obligation(Schema):
    table: str
    id: Any
    description: str


class ErasurePreviewOut(Schema):
    subject: dict[str, int | None]
    dry_run: bool
    counts: dict[str, int]
    audit_events: int
    retained: list[Retained]
    obligations: list[Obligation]


class ActivityOut(Schema):
    key: str
    name: str
    purpose: str
    legal_basis: str
    data_subjects: str
    data_categories: str
    recipients: str
    transfers: str
    retention: str
    safeguards: str


class DueOut(Schema):
    subject: str
    category: str
    country: str
    last_activity: str
    due_on: str


class ErasedOut(DueOut):
    counts: dict[str, int]


class HeldOut(DueOut):
    obligations: list[Obligation]


class RetentionOut(Schema):
    today: str
    dry_run: bool
    erased: list[ErasedOut] = Field(description="Who is due and what would be anonymised.")
    held: list[HeldOut] = Field(description="Due, but kept while something is open.")
    reconsent: list[DueOut] = Field(description="Soon due: ask for consent again.")


def _request(request: ApiRequest, request_id: int) -> DataSubjectRequest:
    return access.get_request_for_user(request.auth, request_id)


# -- data-subject requests --------------------------------------------------------------


@router.get("/privacy/requests", response={200: RequestPage, 404: ErrorOut})
def list_requests(
    request: ApiRequest,
    after: After = 0,
    limit: Limit = 100,
    open: Annotated[bool | None, Query(description="Only open (true) or closed (false).")] = None,
):
    """Staff: every data-subject request, oldest first."""
    access.require_staff(request.auth)
    qs = DataSubjectRequest.objects.all()
    if open is not None:
        still_open = (DataSubjectRequest.Status.RECEIVED, DataSubjectRequest.Status.VERIFIED)
        qs = qs.filter(status__in=still_open) if open else qs.exclude(status__in=still_open)
    rows = list(qs.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"requests": rows, "next_after": rows[-1].pk if more else None}


@router.post("/privacy/requests", response={201: RequestOut, **REFUSED})
def create_request(request: ApiRequest, body: RequestIn):
    """Staff: log a request; due one month after it arrived. A person nobody holds
    anything about is a 400 saying so (there is nothing to answer)."""
    access.require_staff(request.auth)
    if body.received_at is not None and body.received_at.tzinfo is None:
        # A naive time would be read in the server's zone and move the one-month deadline.
        raise InvalidInput(["received_at: give the time zone, e.g. 2026-12-03T09:30:00Z"])
    created = services.create_request(
        kind=body.kind,
        email=body.email,
        user_id=body.user_id,
        candidate_id=body.candidate_id,
        details=body.details,
        received_at=body.received_at,
        by=request.auth,
    )
    return Status(201, created)


@router.get("/privacy/requests/{request_id}", response={200: RequestOut, 404: ErrorOut})
def get_request(request: ApiRequest, request_id: Id):
    return _request(request, request_id)


@router.post("/privacy/requests/{request_id}/verify", response={200: RequestOut, **REFUSED})
def verify_identity(request: ApiRequest, request_id: Id, body: VerifyIn):
    """Staff: record how the requester's identity was checked; nothing runs before."""
    dsar = _request(request, request_id)
    return services.verify_identity(request=dsar, method=body.method, by=request.auth)


@router.post(
    "/privacy/requests/{request_id}/bundle",
    response={200: None, **REFUSED},
    openapi_extra=_file(
        "application/zip", "data.json and csv/<table>.csv: everything held about the person."
    ),
)
def export_bundle(request: ApiRequest, request_id: Id):
    """Staff, for a verified access or portability request: the ZIP, built now and never
    stored; the request completes with the bundle's sha256 (`X-Content-SHA256`)."""
    dsar = _request(request, request_id)
    data = services.export_bundle(request=dsar, by=request.auth)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="data-subject-request-{dsar.pk}.zip"'
    response["X-Content-SHA256"] = hashlib.sha256(data).hexdigest()
    return response


@router.get("/privacy/requests/{request_id}/erasure", response={200: ErasurePreviewOut, **REFUSED})
def preview_erasure(request: ApiRequest, request_id: Id):
    """Staff, for a verified erasure request: what confirming would anonymise, keep (by
    law, until when) and leave open. A dry run: writes nothing."""
    return services.preview_erasure(request=_request(request, request_id))


@router.post("/privacy/requests/{request_id}/erase", response={200: RequestOut, **REFUSED})
def confirm_erasure(request: ApiRequest, request_id: Id):
    """Staff: anonymise now (cannot be undone); `partial` when the law kept records."""
    dsar = _request(request, request_id)
    return services.confirm_erasure(request=dsar, by=request.auth)


@router.post("/privacy/requests/{request_id}/close", response={200: RequestOut, **REFUSED})
def close_request(request: ApiRequest, request_id: Id, body: CloseIn):
    """Staff: a rectification done (say what, without the values) or a request rejected."""
    dsar = _request(request, request_id)
    return services.close_request(
        request=dsar, status=body.status, summary=body.summary, by=request.auth
    )


# -- records of processing (Art. 30) and retention ---------------------------------------


@router.get("/privacy/records", response={200: list[ActivityOut], 404: ErrorOut})
def list_records(request: ApiRequest):
    access.require_staff(request.auth)
    return services.activities()


@router.get(
    "/privacy/records/export",
    response={200: None, 404: ErrorOut},
    openapi_extra=_file("application/json", "The records of processing as a JSON file."),
)
def export_records(request: ApiRequest):
    access.require_staff(request.auth)
    response = HttpResponse(services.activities_json(), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="records-of-processing.json"'
    return response


@router.get("/privacy/retention", response={200: RetentionOut, 404: ErrorOut})
def retention_report(
    request: ApiRequest,
    today: Annotated[
        datetime.date | None, Query(description="Report as of this day (default: today).")
    ] = None,
):
    """Staff: the retention dry run: who is due for anonymisation under the rules, who is
    held by an open obligation, who to ask for consent again. Writes nothing (applying it
    is the daily `trainerdesk privacy_retention --apply` or the staff page)."""
    access.require_staff(request.auth)
    return services.run_retention(today=today or timezone.localdate(), dry_run=True)
