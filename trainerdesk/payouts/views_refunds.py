"""Staff's page of member refunds: what billing owes members (paid membership invoices
that were credited) and how each was paid — sent through the rail (the bank file, settled
by the statement) or a bank transfer staff made and record. Writes go through
services/refunds.py; a refusal comes back as its message."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.payouts import access
from trainerdesk.payouts.models import RefundTransfer
from trainerdesk.payouts.services import refunds
from trainerdesk.payouts.views import _act, _form_errors


class ManualRefundForm(forms.Form):
    refund_key = forms.CharField(max_length=80, widget=forms.HiddenInput)
    paid_on = forms.DateField(initial=timezone.localdate, label="Paid on")
    bank_reference = forms.CharField(max_length=100, label="Bank reference")
    note = forms.CharField(max_length=2000, required=False)


@login_required
@require_GET
def refund_list(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    rows = refunds.refund_rows()
    return TemplateResponse(
        request,
        "payouts/refunds.html",
        {
            "owed": [r for r in rows if r.state != "paid"],
            "paid": [r for r in rows if r.state == "paid"],
            "transfers": RefundTransfer.objects.select_related("member").defer("file")[:50],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def send_refund(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    key = request.POST.get("refund_key", "")
    _act(
        request,
        lambda: refunds.send_refund(refund_key=key, by=request.user),
        f"Refund {key} sent: download its bank file below; the statement settles it.",
    )
    return redirect("payouts:refunds")


@login_required
@require_POST
def record_refund(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    form = ManualRefundForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("payouts:refunds")
    data = form.cleaned_data
    _act(
        request,
        lambda: refunds.record_manual_refund(
            refund_key=data["refund_key"],
            paid_on=data["paid_on"],
            bank_reference=data["bank_reference"],
            note=data["note"],
            by=request.user,
        ),  # fmt: skip
        f"Refund {data['refund_key']} recorded as paid.",
    )
    return redirect("payouts:refunds")


@login_required
@require_POST
def refund_not_sent(request: AuthenticatedRequest, transfer_id: int):
    transfer = access.get_refund_transfer_for_staff(request.user, transfer_id)
    _act(
        request,
        lambda: refunds.mark_refund_not_sent(
            transfer=transfer, note=request.POST.get("note", ""), by=request.user
        ),
        f"Refund transfer {transfer.pk} marked as not sent; the refund is owed again.",
    )
    return redirect("payouts:refunds")


@login_required
@require_GET
def refund_file(request: AuthenticatedRequest, transfer_id: int):
    transfer = access.get_refund_transfer_for_staff(request.user, transfer_id)
    if not transfer.file:
        raise Http404("No such file")
    response = HttpResponse(bytes(transfer.file), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{transfer.file_name}"'
    return response
