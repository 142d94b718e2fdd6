"""Invoice pages: staff's list (drafting, issuing, payments, credit notes, VIES
confirmations), an invoice's page and its PDF, and "My invoices" for a client's contacts
and members. Every lookup goes through access.py (404 for anything not yours), every
write through services; a refusal comes back as the service's message."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from trainerdesk.invoicing import access, services
from trainerdesk.invoicing.models import Invoice, RenewalReminder, Status
from trainerdesk.lib.errors import InvalidInput, WorkbenchError
from trainerdesk.lib.money import format_money
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network.models import Membership
from trainerdesk.placements.models import Placement

PAGE = 200


def _fail(request, exc: WorkbenchError) -> None:
    for problem in getattr(exc, "errors", None) or [str(exc)]:
        messages.error(request, problem)


def _act(request, action: Callable[[], object], done: str, back: str) -> HttpResponse:
    try:
        action()
    except WorkbenchError as exc:
        _fail(request, exc)
    else:
        messages.success(request, done)
    return redirect(back)


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput([f"{field}: a whole number is needed"]) from None


def _cents(value: str, field: str) -> int:
    """A euro amount typed as 123.45 (or 123,45) in cents; no floats."""
    text = (value or "").strip().replace(",", ".")
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or not (frac == "" or (frac.isdigit() and len(frac) <= 2)):
        raise InvalidInput([f"{field}: an amount like 177.00"])
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def _date(value: str, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput([f"{field}: a date as YYYY-MM-DD"]) from None


def _rows(invoices):
    return [
        {
            "invoice": inv,
            "gross": format_money(inv.gross_cents, inv.currency),
            "open": format_money(inv.gross_cents - services.paid_cents(inv), inv.currency)
            if inv.status == Status.ISSUED
            else "",
        }
        for inv in invoices
    ]


@login_required
@require_GET
def my_invoices(request: AuthenticatedRequest) -> HttpResponse:
    if access.is_staff(request.user):
        return redirect("invoicing:staff")
    invoices = access.invoices_for(request.user)
    reminders = RenewalReminder.objects.filter(member__user=request.user, invoice__isnull=False)
    if not invoices.exists() and not reminders.exists():
        from trainerdesk.network.access import client_ids_of, member_of

        if member_of(request.user) is None and not client_ids_of(request.user):
            raise Http404("Not found")
    return render(
        request,
        "invoicing/mine.html",
        {"rows": _rows(invoices[:PAGE]), "reminders": reminders.select_related("membership")},
    )


@login_required
@require_GET
def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    status = request.GET.get("status", "")
    invoices = Invoice.objects.select_related("series", "credit_note_for")
    if status in Status.values:
        invoices = invoices.filter(status=status)
    live = Invoice.objects.exclude(status=Status.CREDITED)
    uninvoiced_placements = (
        Placement.objects.exclude(status="fell_off")
        .exclude(pk__in=live.filter(kind="placement_fee").values("placement_id"))
        .select_related("client", "submission__opening")[:PAGE]
    )
    pending = (
        Membership.objects.filter(status="pending")
        .exclude(pk__in=live.filter(kind="membership").values("membership_id"))
        .select_related("member")[:PAGE]
    )
    return render(
        request,
        "invoicing/staff.html",
        {
            "rows": _rows(invoices[:PAGE]),
            "status": status,
            "statuses": Status.choices,
            "placements": uninvoiced_placements,
            "memberships": pending,
        },
    )


@login_required
@require_POST
def draft(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    back = reverse("invoicing:staff")
    try:
        if request.POST.get("placement"):
            pk = _int(request.POST["placement"], "placement")
            placement = Placement.objects.filter(pk=pk).first()
            if placement is None:
                raise Http404("Not found")
            typed = request.POST.get("net", "").strip()
            invoice = services.draft_placement_invoice(
                placement=placement,
                net_cents=_cents(typed, "net") if typed else None,
                by=request.user,
            )
        else:
            pk = _int(request.POST.get("membership", ""), "membership")
            membership = Membership.objects.filter(pk=pk).first()
            if membership is None:
                raise Http404("Not found")
            invoice = services.draft_membership_invoice(membership=membership, by=request.user)
    except WorkbenchError as exc:
        _fail(request, exc)
        return redirect(back)
    messages.success(request, "Draft written; check it, then issue it.")
    return redirect("invoicing:detail", invoice_id=invoice.pk)


@login_required
@require_POST
def reminders(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    sent = services.send_renewal_reminders(by=request.user)
    messages.success(request, f"{len(sent)} renewal reminder(s) sent; their invoices are drafts.")
    return redirect("invoicing:staff")


@login_required
@require_GET
def detail(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = access.get_invoice_for_user(request.user, invoice_id)
    paid = services.paid_cents(invoice)
    money = {
        "net": format_money(invoice.net_cents, invoice.currency),
        "vat": format_money(invoice.vat_cents, invoice.currency),
        "gross": format_money(invoice.gross_cents, invoice.currency),
        "paid": format_money(paid, invoice.currency),
        "open": format_money(invoice.gross_cents - paid, invoice.currency),
        "rate": f"{invoice.vat_rate_basis_points / 100:g} %",
    }
    lines = [
        (line, format_money(line.unit_cents, invoice.currency),
         format_money(line.net_cents, invoice.currency))
        for line in invoice.lines.all()
    ]  # fmt: skip
    return render(
        request,
        "invoicing/detail.html",
        {
            "invoice": invoice,
            "money": money,
            "lines": lines,
            "payments": [
                (p, format_money(p.amount_cents, p.currency)) for p in invoice.payments.all()
            ],
            "credit_notes": access.invoices_for(request.user).filter(credit_note_for=invoice),
            "vat_checks": invoice.vat_checks.all() if access.is_staff(request.user) else [],
            "staff": access.is_staff(request.user),
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
@require_GET
def pdf(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = access.get_invoice_for_user(request.user, invoice_id)
    if invoice.pdf is None:
        raise Http404("A draft has no document yet")
    response = HttpResponse(bytes(invoice.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    response["X-Content-SHA256"] = invoice.pdf_sha256
    return response


def _staff_invoice(request, invoice_id: int) -> Invoice:
    access.require_staff(request.user)
    return access.get_invoice_for_user(request.user, invoice_id)


@login_required
@require_POST
def issue(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = _staff_invoice(request, invoice_id)
    back = reverse("invoicing:detail", args=[invoice.pk])
    return _act(
        request, lambda: services.issue_invoice(invoice=invoice, by=request.user), "Issued.", back
    )


@login_required
@require_POST
def payment(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = _staff_invoice(request, invoice_id)
    back = reverse("invoicing:detail", args=[invoice.pk])

    def pay():
        services.record_payment(
            invoice=invoice,
            amount_cents=_cents(request.POST.get("amount", ""), "amount"),
            paid_on=_date(request.POST.get("paid_on", ""), "paid_on"),
            by=request.user,
        )

    return _act(request, pay, "Payment recorded.", back)


@login_required
@require_POST
def credit_note(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = _staff_invoice(request, invoice_id)
    try:
        credit = services.issue_credit_note(
            invoice=invoice, reason=request.POST.get("reason", ""), by=request.user
        )
    except WorkbenchError as exc:
        _fail(request, exc)
        return redirect("invoicing:detail", invoice_id=invoice.pk)
    messages.success(request, f"Credit note {credit.number} issued.")
    return redirect("invoicing:detail", invoice_id=credit.pk)


@login_required
@require_POST
def vies(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = _staff_invoice(request, invoice_id)
    back = reverse("invoicing:detail", args=[invoice.pk])

    def confirm():
        services.confirm_vat_id(
            invoice=invoice,
            valid=request.POST.get("valid") == "1",
            reference=request.POST.get("reference", ""),
            by=request.user,
        )

    return _act(request, confirm, "VIES check recorded.", back)
