"""Every write of the contracts app: publishing template versions, drafting contracts
from them, and moving a contract draft -> sent -> signed -> active -> expired/terminated.

Keyword-only arguments, `by` last, one transaction each, an audit event in it. Staff draft,
send, activate and terminate; `by=None` is a system job (the expiry sweep, the demo
loader), named by `audit.acting_as` or `system=`. Only a party accepts, for themselves.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from trainerdesk.contracts import placeholders
from trainerdesk.contracts.models import (
    IN_FORCE,
    Acceptance,
    Contract,
    ContractTemplate,
    Kind,
    TemplateVersion,
)
from trainerdesk.contracts.values import NAMES_BY_KIND, values_for
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.pdf import render_pdf, sha256_hex
from trainerdesk.network.models import ApprovalStatus, ClientContact

St = Contract.Status
# from -> the states it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    St.DRAFT: frozenset({St.SENT, St.TERMINATED}),
    St.SENT: frozenset({St.SIGNED, St.TERMINATED}),
    St.SIGNED: frozenset({St.ACTIVE, St.EXPIRED, St.TERMINATED}),
    St.ACTIVE: frozenset({St.EXPIRED, St.TERMINATED}),
    St.EXPIRED: frozenset(),
    St.TERMINATED: frozenset(),
}
MAX_BODY = 100_000
MAX_USER_AGENT = 500


class NotAllowed(ConflictError):
    """The acting user may not do this (views answer 403 or 404)."""


def _require_staff(by: Any) -> None:
    # None is a system job (sweep, demo loader); audit.record names it or refuses.
    if by is not None and not getattr(by, "is_staff", False):
        raise NotAllowed("only platform staff may do this")


def _move(contract: Contract, to: str) -> str:
    before = contract.status
    if to not in TRANSITIONS[before]:
        allowed = ", ".join(sorted(TRANSITIONS[before])) or "none (final)"
        raise ConflictError(
            f"status: a contract that is {before} cannot become {to} (allowed: {allowed})"
        )
    contract.status = to
    return before


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


# -- templates --------------------------------------------------------------------------


def check_body(*, kind: str, body: Any) -> list[str]:
    """The body's placeholder names, each one the kind's contracts can fill; InvalidInput
    naming the unknown ones (and the known ones, so the fix is obvious)."""
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput(["body: required"])
    if len(body) > MAX_BODY:
        raise InvalidInput([f"body: longer than {MAX_BODY} characters"])
    names = placeholders.placeholder_names(body)
    known = NAMES_BY_KIND[kind]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput(
            [
                f"{{{{ {name} }}}}: not a value a {kind} contract has "
                f"(known: {', '.join(sorted(known))})"
                for name in unknown
            ]
        )
    return names


def publish_template_version(*, template: ContractTemplate, body: str, by: Any) -> TemplateVersion:
    """A new version, numbered after the last. Old versions are never edited (there is
    no service that does), so a contract's text is always the version it names."""
    if by is None or not getattr(by, "is_staff", False):
        raise NotAllowed("only platform staff publish contract templates")
    names = check_body(kind=template.kind, body=body)
    with transaction.atomic():
        template = ContractTemplate.objects.select_for_update().get(pk=template.pk)
        last = template.versions.order_by("-number").values_list("number", flat=True).first()
        version = TemplateVersion.objects.create(
            template=template,
            number=(last or 0) + 1,
            body=body,
            placeholders=names,
            created_by=by,
        )
        audit.record(
            action="contracts.version.publish",
            obj=version,
            by=by,
            changes={"template": template.kind, "number": version.number},
        )
    return version


def latest_version(kind: str) -> TemplateVersion:
    version = (
        TemplateVersion.objects.filter(template__kind=kind)
        .select_related("template")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise ConflictError(f"no {kind} template is published")
    return version


# -- drafting ---------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _pdf(document: str, title: str) -> bytes:
    # render_pdf gives the same bytes for the same HTML (lib/pdf.py), so remembering the
    # last few is exact; it saves the ~0.25 s render when the same document is drafted
    # again, which the test personas do in every test.
    return render_pdf(document, title=title)


def render_document(*, title: str, body_html: str, version: TemplateVersion) -> str:
    """The whole HTML document the PDF is made from (inline CSS: lib/pdf loads nothing)."""
    return render_to_string(
        "contracts/document.html",
        {"title": title, "body_html": body_html, "version": version},
    )


def _parties(kind: str, member: Any, client: Any, opening: Any) -> tuple[Any, Any, Any, str]:
    """The parties a kind needs (and only those), and the name for the title."""
    if kind == Kind.MEMBER_AGREEMENT:
        if member is None or client is not None or opening is not None:
            raise InvalidInput(["member: a member agreement is with one member, and only that"])
        if member.status == ApprovalStatus.REJECTED:
            raise ConflictError("member: this application was rejected")
        return member, None, None, member.display_name
    if kind == Kind.CLIENT_FRAMEWORK:
        if client is None or member is not None or opening is not None:
            raise InvalidInput(["client: a framework agreement is with one client, and only that"])
        return None, client, None, client.legal_name or client.name
    if kind == Kind.ROLE_TERMS:
        if opening is None or member is not None:
            raise InvalidInput(["opening: role terms are for one role of a client"])
        if client is not None and client.pk != opening.client_id:
            raise InvalidInput(["client: the role belongs to another client"])
        client = opening.client
        return None, client, opening, f"{client.legal_name or client.name}: {opening.title}"
    raise InvalidInput([f"kind: {kind!r} is not one of {', '.join(Kind.values)}"])


def draft_contract(
    *,
    kind: str,
    member: Any = None,
    client: Any = None,
    opening: Any = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    by: Any,
) -> Contract:
    """The latest version of the kind's template filled for its parties, rendered once to
    HTML and PDF; the PDF's sha256 is what a party will accept. A placeholder without a
    value refuses the draft, naming it."""
    _require_staff(by)
    member, client, opening, party_name = _parties(kind, member, client, opening)
    if starts_on and ends_on and ends_on <= starts_on:
        raise InvalidInput(["ends_on: must be after starts_on"])
    version = latest_version(kind)
    today = timezone.localdate()
    values = values_for(
        member=member,
        client=client,
        opening=opening,
        starts_on=starts_on,
        ends_on=ends_on,
        today=today,
    )
    # Store only what the version uses: the record says what was filled in, nothing more.
    used = {name: values.get(name, "") for name in version.placeholders}
    body_html = placeholders.render_body(version.body, used)
    title = f"{version.template.title}: {party_name}"
    pdf = _pdf(render_document(title=title, body_html=body_html, version=version), title)
    with transaction.atomic():
        contract = Contract.objects.create(
            version=version,
            kind=kind,
            values=used,
            member=member,
            client=client,
            opening=opening,
            title=title[:300],
            html=body_html,
            pdf=pdf,
            pdf_sha256=sha256_hex(pdf),
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=by,
        )
        audit.record(
            action="contracts.contract.draft",
            obj=contract,
            by=by,
            changes={
                "kind": kind,
                "version": version.number,
                "member": getattr(member, "pk", None),
                "client": getattr(client, "pk", None),
                "opening": getattr(opening, "pk", None),
                "pdf_sha256": contract.pdf_sha256,
            },
        )
    return contract


# -- the state machine ------------------------------------------------------------------


def send_contract(*, contract: Contract, by: Any) -> Contract:
    _require_staff(by)
    with transaction.atomic():
        contract = _locked(contract)
        before = _move(contract, St.SENT)
        contract.sent_at = timezone.now()
        contract.save(update_fields=["status", "sent_at"])
        audit.record(
            action="contracts.contract.send",
            obj=contract,
            by=by,
            changes={"status": {"before": before, "after": contract.status}},
        )
    return contract


def party_users(contract: Contract) -> Any:
    """The users who may accept: the member for a member agreement, a contact of the
    client for the client's contracts."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if contract.member_id is not None:
        return users.filter(network_member__pk=contract.member_id)
    if contract.client_id is None:
        return users.none()
    ids = ClientContact.objects.filter(client_id=contract.client_id).values("user_id")
    return users.filter(pk__in=ids)


def is_party(user: Any, contract: Contract) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return party_users(contract).filter(pk=user.pk).exists()


def _ip(value: Any) -> str | None:
    """One spelling per address, or None: the column is PostgreSQL's inet, which refuses
    anything else, and a request's REMOTE_ADDR is not ours to trust blindly."""
    import ipaddress

    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def accept_contract(
    *,
    contract: Contract,
    user: Any,
    ip: str | None,
    user_agent: str,
    seen_sha256: Any,  # from a form: checked here
    by: Any,
) -> Acceptance:
    """The party accepts the document they were shown: the hash they saw must be the
    stored one (else the page was stale or tampered with, and nothing is written); the
    evidence row and the move to signed commit together."""
    if by is None or user is None or by.pk != user.pk:
        raise NotAllowed("only the party can accept a contract, for themselves")
    if not isinstance(seen_sha256, str) or len(seen_sha256) != 64:
        raise InvalidInput(["sha256: the document's fingerprint (64 hex digits) is required"])
    with transaction.atomic():
        contract = _locked(contract)
        if not is_party(user, contract):
            raise NotAllowed("you are not a party to this contract")
        if contract.status != St.SENT:
            raise ConflictError(f"this contract is {contract.status}, not waiting for signature")
        if seen_sha256.lower() != contract.pdf_sha256:
            raise ConflictError(
                "the document you saw is not this contract's current document; "
                "open it again, read it and accept that one"
            )
        before = _move(contract, St.SIGNED)
        now = timezone.now()
        acceptance = Acceptance.objects.create(
            contract=contract,
            user=user,
            accepted_at=now,
            ip=_ip(ip),
            user_agent=(user_agent or "")[:MAX_USER_AGENT],
            document_sha256=contract.pdf_sha256,
        )
        contract.signed_at = now
        contract.save(update_fields=["status", "signed_at"])
        # The IP and user agent stay in the evidence row (audit events keep an IP for
        # sign-ins only); the event says which document was accepted.
        audit.record(
            action="contracts.contract.accept",
            obj=contract,
            by=by,
            changes={
                "status": {"before": before, "after": contract.status},
                "acceptance": acceptance.pk,
                "document_sha256": contract.pdf_sha256,
            },
        )
    return acceptance


def activate_contract(
    *, contract: Contract, by: Any, today: datetime.date | None = None
) -> Contract:
    """The platform puts a signed contract into force (its start date is today unless
    one was set)."""
    _require_staff(by)
    today = today or timezone.localdate()
    with transaction.atomic():
        contract = _locked(contract)
        before = _move(contract, St.ACTIVE)
        contract.activated_at = timezone.now()
        contract.starts_on = contract.starts_on or today
        contract.save(update_fields=["status", "activated_at", "starts_on"])
        audit.record(
            action="contracts.contract.activate",
            obj=contract,
            by=by,
            changes={
                "status": {"before": before, "after": contract.status},
                "starts_on": contract.starts_on.isoformat(),
            },
        )
    return contract


def terminate_contract(*, contract: Contract, reason: Any, by: Any) -> Contract:
    _require_staff(by)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(["reason: say why the contract ends"])
    with transaction.atomic():
        contract = _locked(contract)
        before = _move(contract, St.TERMINATED)
        contract.ended_at = timezone.now()
        contract.save(update_fields=["status", "ended_at"])
        audit.record(
            action="contracts.contract.terminate",
            obj=contract,
            by=by,
            reason=reason[:1000],
            changes={"status": {"before": before, "after": contract.status}},
        )
    return contract


@dataclass(frozen=True)
class SweepResult:
    expired: int


def sweep_contracts(now: datetime.datetime | None = None) -> SweepResult:
    """The daily job: a signed or active contract past its end date expires. Idempotent."""
    today = timezone.localdate(now) if now else timezone.localdate()
    due = Contract.objects.filter(status__in=IN_FORCE, ends_on__lt=today).values_list(
        "pk", flat=True
    )
    expired = 0
    for pk in list(due):
        with transaction.atomic():
            row = Contract.objects.select_for_update().get(pk=pk)
            if row.status not in IN_FORCE or row.ends_on is None or row.ends_on >= today:
                continue  # moved by someone else since the list was read
            before = _move(row, St.EXPIRED)
            row.ended_at = timezone.now()
            row.save(update_fields=["status", "ended_at"])
            audit.record(
                action="contracts.contract.expire",
                obj=row,
                system="task:contracts_sweep",
                changes={"status": {"before": before, "after": row.status}},
            )
            expired += 1
    return SweepResult(expired=expired)


# -- what the gates read ----------------------------------------------------------------


def in_force(*, kind: str, member: Any = None, client: Any = None) -> bool:
    """Whether a signed or active contract of `kind` binds this member or client."""
    qs = Contract.objects.filter(kind=kind, status__in=IN_FORCE)
    if member is not None:
        qs = qs.filter(member=member)
    elif client is not None:
        qs = qs.filter(client=client)
    else:
        return False
    return qs.exists()


def sign_on_behalf(*, kind: str, signer: Any, user_agent: str, by: Any, **parties: Any) -> Contract:
    """Draft, send and accept in one go, for the demo loader and the test personas: the
    same services and evidence as in real use, with a user agent that says who clicked."""
    contract = draft_contract(kind=kind, **parties, by=by)
    contract = send_contract(contract=contract, by=by)
    accept_contract(
        contract=contract,
        user=signer,
        ip=None,
        user_agent=user_agent,
        seen_sha256=contract.pdf_sha256,
        by=signer,
    )
    contract.refresh_from_db()
    return contract
