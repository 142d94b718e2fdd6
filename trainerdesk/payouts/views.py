"""Payout pages: staff's batches (create, submit, download the bank file), statement
imports and reconciliation; a member's earnings (commission statement, payouts, bank
account). Every lookup goes through access.py; every write through services; a refusal
comes back as the service's message."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.lib.errors import WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.payouts import access, commissions, forms, services
from trainerdesk.payouts.models import (
    BankAccount,
    Payout,
    PayoutBatch,
    PayoutItem,
    ReconciliationCase,
    StatementImport,
)
from trainerdesk.payouts.services import refunds
from trainerdesk.workbench.access import key_or_404


def _act(request, action: Callable[[], object], success: str) -> bool:
    try:
        action()
    except WorkbenchError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def _form_errors(request, form) -> None:
    for field, errs in form.errors.items():
        messages.error(request, f"{field}: {' '.join(errs)}")


# -- staff ------------------------------------------------------------------------------


@login_required
@require_GET
def batches(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    payable = commissions.payable_summary()
    return TemplateResponse(
        request,
        "payouts/batches.html",
        {
            "batches": PayoutBatch.objects.annotate(
                payout_count=Count("payouts"), total=Sum("payouts__amount_cents")
            )[:100],
            "payable": payable,
            "cases": ReconciliationCase.objects.filter(status="open").select_related("payout"),
            "unverified": BankAccount.objects.filter(is_current=True, verified=False)
            .select_related("member")
            .order_by("created_at"),
            "statements": StatementImport.objects.defer("file")[:20],
            "statement_form": forms.StatementForm(),
        },
    )


@login_required
@require_POST
def create_batch(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    made: list[PayoutBatch] = []

    def act():
        made.append(services.create_batch(by=request.user))

    if _act(request, act, "Batch created."):
        return redirect("payouts:batch", made[0].pk)
    return redirect("payouts:batches")


@login_required
@require_GET
def batch_detail(request: AuthenticatedRequest, batch_id: int):
    batch = access.get_batch_for_staff(request.user, batch_id)
    payouts = batch.payouts.select_related("member").order_by("pk")
    return TemplateResponse(
        request,
        "payouts/batch.html",
        {"batch": batch, "payouts": payouts, "retryable": (Payout.Status.CREATED, "failed")},
    )


@login_required
@require_POST
def submit_batch(request: AuthenticatedRequest, batch_id: int):
    batch = access.get_batch_for_staff(request.user, batch_id)
    _act(
        request,
        lambda: services.submit_batch(batch=batch, by=request.user),
        "Batch submitted: download the file for the bank.",
    )
    return redirect("payouts:batch", batch.pk)


@login_required
@require_GET
def batch_file(request: AuthenticatedRequest, batch_id: int):
    batch = access.get_batch_for_staff(request.user, batch_id)
    if not batch.file:
        raise Http404("This batch has no file yet")
    response = HttpResponse(bytes(batch.file), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    response["X-Content-SHA256"] = batch.file_sha256
    return response


@login_required
@require_GET
def attempt_file(request: AuthenticatedRequest, payout_id: int, number: int):
    """A retry's own file (one transfer, the payout's key as EndToEndId) for the bank."""
    access.staff_or_404(request.user)
    payout = access.get_payout_for_user(request.user, payout_id)
    attempt = payout.attempt_log.filter(number=key_or_404(number)).first()
    if attempt is None or not attempt.file:
        raise Http404("No file for this attempt")
    response = HttpResponse(bytes(attempt.file), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{attempt.file_name}"'
    response["X-Content-SHA256"] = attempt.file_sha256
    return response


@login_required
@require_POST
def retry(request: AuthenticatedRequest, payout_id: int):
    access.staff_or_404(request.user)
    payout = access.get_payout_for_user(request.user, payout_id)
    _act(
        request,
        lambda: services.retry_payout(payout=payout, by=request.user),
        "Payout sent again with the same key.",
    )
    return redirect("payouts:payout", payout.pk)


@login_required
@require_POST
def cancel(request: AuthenticatedRequest, payout_id: int):
    access.staff_or_404(request.user)
    payout = access.get_payout_for_user(request.user, payout_id)
    _act(
        request,
        lambda: services.cancel_payout(
            payout=payout, reason=request.POST.get("reason", ""), by=request.user
        ),
        "Payout cancelled; its commissions are payable again.",
    )
    return redirect("payouts:payout", payout.pk)


@login_required
@require_http_methods(["GET", "POST"])
def import_statement(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    form = forms.StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not form.is_valid():
            _form_errors(request, form)
        else:
            made: list[StatementImport] = []

            def act():
                made.append(
                    services.import_statement(file=form.cleaned_data["file"], by=request.user)
                )

            if _act(request, act, "Statement imported."):
                return redirect("payouts:statement", made[0].pk)
    return TemplateResponse(request, "payouts/import.html", {"form": form})


@login_required
@require_GET
def statement_detail(request: AuthenticatedRequest, statement_id: int):
    record = access.get_statement_for_staff(request.user, statement_id)
    return TemplateResponse(
        request,
        "payouts/statement.html",
        {"record": record, "cases": record.cases.select_related("payout")},
    )


@login_required
@require_POST
def resolve_case(request: AuthenticatedRequest, case_id: int):
    case = access.get_case_for_staff(request.user, case_id)
    form = forms.ResolveCaseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _act(
            request,
            lambda: services.resolve_case(
                case=case,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
                by=request.user,
            ),
            "Case resolved.",
        )
    return redirect("payouts:batches")


@login_required
@require_POST
def verify_account(request: AuthenticatedRequest, account_id: int):
    access.staff_or_404(request.user)
    account = BankAccount.objects.filter(pk=key_or_404(account_id)).first()
    if account is None:
        raise Http404("No such bank account")
    _act(
        request,
        lambda: services.verify_bank_account(account=account, by=request.user),
        "Bank account verified.",
    )
    return redirect("payouts:batches")


# -- staff and the member it belongs to -------------------------------------------------


@login_required
@require_GET
def payout_detail(request: AuthenticatedRequest, payout_id: int):
    payout = access.get_payout_for_user(request.user, payout_id)
    is_staff = request.user.is_staff
    return TemplateResponse(
        request,
        "payouts/payout.html",
        {
            "payout": payout,
            "items": PayoutItem.objects.filter(payout=payout).select_related(
                "commission__placement__client"
            ),
            "attempts": payout.attempt_log.defer("file") if is_staff else [],
            "cases": payout.cases.all() if is_staff else [],
            "is_staff": is_staff,
            "retryable": payout.status in (Payout.Status.CREATED, Payout.Status.FAILED),
        },
    )


# -- members ----------------------------------------------------------------------------


@login_required
@require_GET
def earnings(request: AuthenticatedRequest):
    member = access.member_or_404(request.user)
    rows = commissions.statement_rows(member)
    return TemplateResponse(
        request,
        "payouts/earnings.html",
        {
            "member": member,
            "rows": rows,
            "totals": commissions.totals(rows),
            "payouts": access.visible_payouts(request.user).filter(member=member),
            "refunds": refunds.refund_rows(member=member),
            "account": BankAccount.objects.filter(member=member, is_current=True).first(),
            "form": forms.BankAccountForm(),
        },
    )


@login_required
@require_POST
def set_account(request: AuthenticatedRequest):
    member = access.member_or_404(request.user)
    form = forms.BankAccountForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _act(
            request,
            lambda: services.set_bank_account(member=member, by=request.user, **form.cleaned_data),
            "Bank account saved; staff verify it before the first payout.",
        )
    return redirect("payouts:earnings")
