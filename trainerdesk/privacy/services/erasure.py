"""Erasure (Art. 17) as anonymisation through the registry, in one transaction.

Every handler anonymises its own rows in place (ids and foreign keys stay, so the funnel,
the fees and the commissions still add up); what the law requires is kept and said
(`retained`), open obligations are listed; the person's personal values are scrubbed
from the audit events about them by `lib.audit.redact_events`, which keeps every chain
verifiable. A failure anywhere rolls everything back: nothing half-written."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.privacy import registry
from trainerdesk.privacy.registry import ERASED, Subject


class SubjectNotFound(InvalidInput):
    """Nothing is held about the person a request names."""


def not_found_message(subject: Subject) -> str:
    return (
        f"Nobody matches {subject.describe()}: no account, candidate or other record holds "
        "this person. Nothing is held about them; tell the requester so (Art. 15(1)) "
        "or check the address or id."
    )


def resolve(subject: Subject) -> tuple[Subject, dict[str, list[Any]]]:
    """The subject with every id the apps add, and their rows; SubjectNotFound if none."""
    if subject.is_empty:
        raise InvalidInput(["subject: give an e-mail address, a user id or a candidate id"])
    subject = registry.identify(subject)
    found = registry.find(subject)
    # A request names the person; their own past requests alone are not "data held".
    held = {t: ids for t, ids in found.items() if t != "privacy.datasubjectrequest"}
    if not held:
        raise SubjectNotFound([not_found_message(subject)])
    return subject, found


def audit_events_about(subject: Subject, found: dict[str, list[Any]]) -> Any:
    """Events the person did (as a user) or that are about one of their rows."""
    q = Q(pk__in=[])
    if subject.user_id:
        q |= Q(actor_id=subject.user_id)
    for table, ids in found.items():
        q |= Q(object_type=table, object_id__in=[str(pk) for pk in ids])
    return AuditEvent.objects.filter(q).exclude(action=audit.REDACTION_ACTION)


def _rewrites(events: Any, personal: set[str]) -> dict[int, dict[str, Any]]:
    fields = registry.personal_fields()
    rewrites: dict[int, dict[str, Any]] = {}
    for row in events.values("pk", "object_type", "changes", "reason", "ip"):
        new: dict[str, Any] = {}
        changes = registry.scrub(row["changes"], personal)
        names = fields.get(row["object_type"], frozenset())
        if isinstance(changes, dict) and names:
            changes = {k: (ERASED if k in names else v) for k, v in changes.items()}
        if changes != row["changes"]:
            new["changes"] = changes
        reason = registry.scrub(row["reason"], personal)
        if reason != row["reason"]:
            new["reason"] = reason
        if row["ip"]:
            new["ip"] = ""  # where the person signed in from
        if new:
            rewrites[row["pk"]] = new
    return rewrites


def erase_subject(
    *,
    subject: Subject,
    dry_run: bool,
    request: Any = None,
    by: Any = None,
    system: str | None = None,
) -> dict[str, Any]:
    """Anonymise everything held about `subject` (or, `dry_run`, only say what would
    change). Returns {"counts", "retained", "obligations", "audit_events"}."""
    with transaction.atomic():
        subject, found = resolve(subject)
        personal = registry.personal_values(subject)
        obligations = registry.obligations(subject)
        retained = registry.retained(subject)
        events = audit_events_about(subject, found)
        rewrites = _rewrites(events, personal)
        counts: dict[str, int] = {}
        for handler in registry.handlers():
            for table, count in handler.erase(subject, dry_run=dry_run).items():
                counts[table] = counts.get(table, 0) + count
        counts = {table: n for table, n in counts.items() if n}
        result = {
            "subject": _reference(subject),
            "dry_run": dry_run,
            "counts": counts,
            "audit_events": len(rewrites),
            "retained": [item.as_dict() for item in retained],
            "obligations": [item.as_dict() for item in obligations],
        }
        if dry_run:
            return result
        ref = {"request": request.pk if request is not None else None, **_reference(subject)}
        audit.redact_events(
            rewrites,
            reason="GDPR erasure: personal values of the person replaced",
            changes=ref,
            by=by,
            system=system,
        )
        target = (
            {"obj": request}
            if request is not None
            else {"object_type": "privacy.subject", "object_id": _reference_text(subject)}
        )
        audit.record(
            action="privacy.subject.erase",
            **target,
            changes={
                "counts": counts,
                "audit_events": len(rewrites),
                "retained": [item.table for item in retained],
                "obligations": len(obligations),
            },
            by=by,
            system=system,
        )
    return result


def _reference(subject: Subject) -> dict[str, Any]:
    """The person by ids only (never the address): what a kept record may say."""
    return {"user_id": subject.user_id, "candidate_id": subject.candidate_id}


def _reference_text(subject: Subject) -> str:
    if subject.candidate_id:
        return f"candidate:{subject.candidate_id}"
    return f"user:{subject.user_id}" if subject.user_id else "careers"
