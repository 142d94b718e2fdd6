"""Payout batches: made from payable commissions (one payout per member and currency,
clawbacks netted), then submitted through the rail (the SEPA file)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.payouts import commissions, rails
from trainerdesk.payouts.models import BankAccount, Payout, PayoutBatch, PayoutItem
from trainerdesk.payouts.services import attempts
from trainerdesk.payouts.services.common import new_idempotency_key

S = Payout.Status


def create_batch(
    *, commission_ids: list[int] | None = None, today: datetime.date | None = None, by: Any
) -> PayoutBatch:
    """A draft batch paying every payable commission (or exactly `commission_ids`): one
    payout per member and currency, to the member's current verified account, with its
    idempotency key made and stored now, before any attempt. What the member owes from
    clawbacks is netted (billing's plan). Members who cannot be paid yet (no verified
    account, a currency the rail does not pay) are left out and listed in `skipped`; with
    `commission_ids` any commission that cannot be paid is an error naming it (unpaid by
    the client, guarantee not passed, already in a payout), and nothing is written."""
    today = today or timezone.localdate()
    rail = rails.get_rail()
    with transaction.atomic():
        locked = list(commissions.locked_payable(commission_ids=commission_ids))
        explicit = commission_ids is not None
        if commission_ids is not None:
            found = {c.pk for c in locked}
            errors = [commissions.refusal(i, today=today) for i in commission_ids if i not in found]
            if errors:
                raise InvalidInput(errors)
        if not locked:
            raise InvalidInput(["commissions: nothing is payable now"])
        groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
        for commission in locked:
            groups[(commission.member_id, commission.currency)].append(commission)
        accounts = {
            a.member_id: a
            for a in BankAccount.objects.select_for_update().filter(
                member_id__in={m for m, _ in groups}, is_current=True
            )
        }

        batch = PayoutBatch.objects.create(created_by=_user(by), rail=rail.name)
        skipped: list[dict[str, Any]] = []
        made: list[Payout] = []
        for (member_id, currency), items in groups.items():
            account = accounts.get(member_id)
            why = ""
            if account is None:
                why = "no bank account"
            elif not account.verified:
                why = "bank account not verified"
            elif currency not in rail.currencies:
                why = f"{rail.name} pays {', '.join(rail.currencies)}, not {currency}"
            if why:
                skipped.append({"member": member_id, "currency": currency, "reason": why})
                continue
            assert account is not None
            gross = sum(c.amount_cents for c in items)
            plan = commissions.plan(member=account.member, gross_cents=gross, currency=currency)
            payout = Payout.objects.create(
                batch=batch,
                member_id=member_id,
                bank_account=account,
                creditor_name=account.holder_name,
                creditor_iban=account.iban,
                creditor_bic=account.bic,
                gross_cents=plan.gross,
                clawback_cents=plan.clawback,
                amount_cents=plan.cash,
                currency=currency,
                idempotency_key=new_idempotency_key(),
            )
            PayoutItem.objects.bulk_create(
                PayoutItem(
                    payout=payout, commission=c, amount_cents=c.amount_cents, currency=currency
                )
                for c in items
            )
            for commission in items:
                commissions.mark_in_payout(commission, by=by)
            made.append(payout)
        if explicit and skipped:
            raise InvalidInput(
                [f"member {s['member']}: cannot be paid ({s['reason']})" for s in skipped]
            )
        if not made:
            raise InvalidInput(
                [f"member {s['member']}: cannot be paid ({s['reason']})" for s in skipped]
            )
        batch.skipped = skipped
        batch.save(update_fields=["skipped"])
        audit.record_bulk(
            action="payouts.batch.create",
            object_type="payouts.payout",
            ids=[p.pk for p in made],
            changes={
                "batch": batch.pk,
                "commissions": len(locked)
                - sum(len(groups[(s["member"], s["currency"])]) for s in skipped),
                "skipped": len(skipped),
                "amount_cents": sum(p.amount_cents for p in made),
            },
            by=by,
        )
    return batch


def submit_batch(
    *, batch: PayoutBatch, execution_date: datetime.date | None = None, by: Any
) -> PayoutBatch:
    """Send the batch's created payouts through the rail in one go (the SEPA file, stored
    on the batch with its sha256). A batch is submitted once; a payout that failed is sent
    again with `retry_payout`. A payout that nets to no cash (the clawback took it all) is
    settled at once, with no transfer."""
    rail = rails.get_rail()
    execution_date = execution_date or timezone.localdate()
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != PayoutBatch.Status.DRAFT:
            raise ConflictError(
                f"batch {batch.pk}: already submitted on {batch.submitted_at:%Y-%m-%d}; "
                "download its file, or retry a failed payout"
            )
        payouts = list(
            Payout.objects.select_for_update().filter(batch=batch, status=S.CREATED).order_by("pk")
        )
        for payout in (p for p in payouts if p.amount_cents == 0):
            attempts.settle_paid(payout, on=timezone.localdate(), reference="netted", by=by)
        to_send = [p for p in payouts if p.amount_cents > 0]
        started = [attempts.begin(p, rail=rail, by=by) for p in to_send]
        # Nothing to transfer (every payout netted): the batch is settled already.
        batch.status = PayoutBatch.Status.SUBMITTED if to_send else PayoutBatch.Status.CLOSED
        batch.submitted_at = timezone.now()
        batch.submitted_by = _user(by)
        batch.execution_date = execution_date
        batch.save(update_fields=["status", "submitted_at", "submitted_by", "execution_date"])
        audit.record(
            action="payouts.batch.submit",
            obj=batch,
            changes={"payouts": len(to_send), "netted": len(payouts) - len(to_send)},
            by=by,
        )
    if not to_send:
        return batch
    dispatch, outcome, detail = attempts.send(
        rail,
        reference=batch.reference,
        payouts=to_send,
        created_at=batch.submitted_at,
        execution_date=execution_date,
    )
    attempts.finish(
        started, dispatch=dispatch, outcome=outcome, detail=detail, by=by, batch_id=batch.pk
    )
    return PayoutBatch.objects.get(pk=batch.pk)


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None
