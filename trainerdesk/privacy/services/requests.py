"""Data-subject requests (Art. 15, 16, 17, 20): logged with their one-month deadline,
identity checked by staff, answered through the registry, each step audited."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.privacy import registry
from trainerdesk.privacy.models import DataSubjectRequest, one_month_after
from trainerdesk.privacy.registry import Subject, Table
from trainerdesk.privacy.services.erasure import audit_events_about, erase_subject, resolve

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status

AUDIT_COLUMNS = (
    "id",
    "created_at",
    "action",
    "organization_id",
    "project_id",
    "actor_id",
    "actor_system",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "ip",
)


def subject_of(request: DataSubjectRequest) -> Subject:
    return Subject(
        user_id=request.subject_user_id,
        email=request.subject_email,
        candidate_id=request.subject_candidate_id,
    )


def create_request(
    *,
    kind: str,
    email: str = "",
    user_id: int | None = None,
    candidate_id: int | None = None,
    details: str = "",
    received_at: Any = None,
    by: Any,
) -> DataSubjectRequest:
    """Log a request. A person nobody holds anything about is refused with a message
    saying so (SubjectNotFound): there is nothing to answer but "we hold nothing"."""
    errors = []
    if kind not in Kind.values:
        errors.append(f"kind: one of {', '.join(Kind.values)}")
    email = (email or "").strip()
    if email and ("@" not in email or len(email) > 254):
        errors.append("email: an e-mail address")
    if kind == Kind.RECTIFICATION and not details.strip():
        errors.append("details: say what the person wants corrected")
    if errors:
        raise InvalidInput(errors)
    subject, _ = resolve(Subject(user_id=user_id, email=email, candidate_id=candidate_id))
    received_at = received_at or timezone.now()
    with transaction.atomic():
        request = DataSubjectRequest.objects.create(
            kind=kind,
            subject_user_id=subject.user_id,
            subject_email=email,
            subject_candidate_id=subject.candidate_id,
            details=details.strip(),
            received_at=received_at,
            due_on=one_month_after(timezone.localdate(received_at)),
            created_by=by,
        )
        audit.record(
            action="privacy.request.create",
            obj=request,
            changes={"kind": kind, "due_on": request.due_on, **_ids(request)},
            by=by,
        )
    return request


def _ids(request: DataSubjectRequest) -> dict[str, Any]:
    return {"user_id": request.subject_user_id, "candidate_id": request.subject_candidate_id}


def _locked(request: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_for_update().get(pk=request.pk)


def verify_identity(*, request: DataSubjectRequest, method: str, by: Any) -> DataSubjectRequest:
    if method not in DataSubjectRequest.IdentityMethod.values:
        raise InvalidInput(
            [f"method: one of {', '.join(DataSubjectRequest.IdentityMethod.values)}"]
        )
    with transaction.atomic():
        request = _locked(request)
        if request.status != Status.RECEIVED:
            raise ConflictError(f"this request is {request.get_status_display().lower()}")
        request.identity_method = method
        request.verified_by = by
        request.verified_at = timezone.now()
        request.status = Status.VERIFIED
        request.save(update_fields=["identity_method", "verified_by", "verified_at", "status"])
        audit.record(
            action="privacy.request.verify", obj=request, changes={"method": method}, by=by
        )
    return request


def _require_verified(request: DataSubjectRequest, kinds: tuple[str, ...]) -> None:
    if request.kind not in kinds:
        raise ConflictError(f"a {request.get_kind_display()} request does not do this")
    if request.status == Status.RECEIVED:
        raise ConflictError("check the requester's identity first")
    if request.status == Status.REJECTED:
        raise ConflictError("this request was rejected")


# -- access and portability: the bundle -------------------------------------------------


def collect_tables(subject: Subject) -> list[Table]:
    """Everything held about the person: each app's tables, then the audit events about
    them (what was done to their data, and by them)."""
    subject, found = resolve(subject)
    tables = [t for handler in registry.handlers() for t in handler.export(subject)]
    events = audit_events_about(subject, found).order_by("id")
    tables.append(Table.from_queryset("accounts.auditevent", events, AUDIT_COLUMNS))
    return [t for t in tables if t.rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def build_bundle(subject: Subject) -> bytes:
    """A ZIP: `data.json` (every table as a list of objects), `csv/<table>.csv` (one per
    table) and a README. Entries are stamped 1980-01-01 so the same data gives the same
    bytes (and sha256)."""
    tables = collect_tables(subject)
    data = {t.name: [dict(zip(t.columns, row, strict=True)) for row in t.rows] for t in tables}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:

        def add(name: str, text: str) -> None:
            bundle.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text.encode())

        add(
            "README.txt",
            "Everything TrainerDesk holds about you (GDPR Art. 15 and 20).\n"
            "data.json has every table; csv/ has one file per table.\n"
            "accounts.auditevent lists what was done with your data and by you.\n",
        )
        add(
            "data.json",
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1, sort_keys=True),
        )
        for t in tables:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(t.columns)
            writer.writerows([_cell(v) for v in row] for row in t.rows)
            add(f"csv/{t.name}.csv", text.getvalue())
    return out.getvalue()


def export_bundle(*, request: DataSubjectRequest, by: Any) -> bytes:
    """The bundle for an access or portability request (built on demand, never stored:
    a stored copy would be one more place holding the person)."""
    with transaction.atomic():
        request = _locked(request)
        _require_verified(request, (Kind.ACCESS, Kind.PORTABILITY))
        bundle = build_bundle(subject_of(request))
        sha = hashlib.sha256(bundle).hexdigest()
        request.result = {**request.result, "bundle_sha256": sha, "bundle_bytes": len(bundle)}
        request.status = Status.COMPLETED
        request.completed_at = request.completed_at or timezone.now()
        request.save(update_fields=["result", "status", "completed_at"])
        audit.record(
            action="privacy.request.export",
            obj=request,
            changes={"sha256": sha, "bytes": len(bundle)},
            by=by,
        )
    return bundle


# -- erasure ----------------------------------------------------------------------------


def preview_erasure(*, request: DataSubjectRequest) -> dict[str, Any]:
    """What confirming would change, kept and leave open (writes nothing)."""
    request = DataSubjectRequest.objects.get(pk=request.pk)
    _require_verified(request, (Kind.ERASURE,))
    return erase_subject(subject=subject_of(request), dry_run=True)


def confirm_erasure(*, request: DataSubjectRequest, by: Any) -> DataSubjectRequest:
    with transaction.atomic():
        request = _locked(request)
        _require_verified(request, (Kind.ERASURE,))
        if request.status != Status.VERIFIED:
            raise ConflictError(f"this request is {request.get_status_display().lower()}")
        result = erase_subject(subject=subject_of(request), dry_run=False, request=request, by=by)
        request.refresh_from_db()
        # The request itself is always kept (proof it was answered): that alone is not
        # a partial erasure.
        legal = [r for r in result["retained"] if r["table"] != "privacy.datasubjectrequest"]
        kept = bool(legal or result["obligations"])
        request.status = Status.PARTIAL if kept else Status.COMPLETED
        request.result = result
        request.completed_at = timezone.now()
        request.save(update_fields=["status", "result", "completed_at"])
        audit.record(
            action="privacy.request.erase",
            obj=request,
            changes={"status": request.status, "tables": sorted(result["counts"])},
            by=by,
        )
    return request


def close_request(
    *, request: DataSubjectRequest, status: str, summary: str, by: Any
) -> DataSubjectRequest:
    """Rectification done (what was corrected, in `summary`, without the values), or a
    request rejected (why)."""
    if status not in (Status.COMPLETED, Status.REJECTED):
        raise InvalidInput(["status: completed or rejected"])
    if not summary.strip():
        raise InvalidInput(["summary: say what was done or why not"])
    with transaction.atomic():
        request = _locked(request)
        if not request.is_open:
            raise ConflictError(f"this request is {request.get_status_display().lower()}")
        if status == Status.COMPLETED and request.status != Status.VERIFIED:
            raise ConflictError("check the requester's identity first")
        request.status = status
        request.result = {**request.result, "summary": summary.strip()}
        request.completed_at = timezone.now()
        request.save(update_fields=["status", "result", "completed_at"])
        audit.record(action="privacy.request.close", obj=request, changes={"status": status}, by=by)
    return request
