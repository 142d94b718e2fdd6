"""Importing a bank statement (camt.053): the bank's word on each payout.

The file is read completely first (`camt.parse_camt053`: a bad file is an error naming the
element, and nothing is written); then one transaction applies it: a booked debit with a
payout's key marks it paid (ledger posted through billing, commissions paid), a return
marks it returned (posting reversed, commissions payable again). An entry that names no
payout, or whose amount or currency differs from the payout's, or that arrives in a state
the payout cannot take (a debit for a payout never sent) changes nothing and is listed;
the last two open a reconciliation case. Any error rolls the whole import back.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.payouts import camt, sepa
from trainerdesk.payouts.models import Payout, PayoutBatch, ReconciliationCase, StatementImport
from trainerdesk.payouts.services import attempts

S = Payout.Status
# States a booked debit may settle: sent (submitted), or sent with an unknown outcome
# (the statement is what settles an ambiguous payout), or refused by the rail yet booked.
PAYABLE_BY_DEBIT = (S.SUBMITTED, S.AMBIGUOUS, S.SENDING, S.FAILED)
RETURNABLE = (S.PAID, S.SUBMITTED, S.AMBIGUOUS)


def _read(file: Any) -> bytes:
    if isinstance(file, bytes):
        return file
    chunks = []
    size = 0
    for chunk in file.chunks() if hasattr(file, "chunks") else [file.read()]:
        size += len(chunk)
        if size > camt.MAX_STATEMENT_BYTES:
            raise InvalidInput([f"file: larger than {camt.MAX_STATEMENT_BYTES // 2**20} MB"])
        chunks.append(chunk)
    return b"".join(chunks)


def _row(entry: camt.StatementEntry, why: str) -> dict[str, Any]:
    return {
        "where": entry.where,
        "end_to_end_id": entry.end_to_end_id,
        "amount_cents": entry.amount_cents,
        "currency": entry.currency,
        "kind": entry.kind,
        "status": entry.status,
        "booked_on": entry.booked_on.isoformat() if entry.booked_on else None,
        "reason": why,
    }


def import_statement(*, file: Any, by: Any) -> StatementImport:
    data = _read(file)
    sha = hashlib.sha256(data).hexdigest()
    statement = camt.parse_camt053(data)
    ours = sepa.debtor_account().iban
    if statement.iban and statement.iban.replace(" ", "").upper() != ours:
        # Another account's statement would settle nothing of ours, or worse, match keys
        # by accident: refused before anything is written.
        raise InvalidInput(
            [f"file: the statement is for account {statement.iban}, not the payout account {ours}"]
        )
    with transaction.atomic():
        earlier = StatementImport.objects.filter(file_sha256=sha).first()
        if earlier is not None:
            raise ConflictError(
                f"file: this statement was imported already (import {earlier.pk} on "
                f"{earlier.imported_at:%Y-%m-%d})"
            )
        record = StatementImport.objects.create(
            file=data,
            file_sha256=sha,
            statement_id=statement.statement_id[:200],
            account_iban=statement.iban[:34],
            imported_by=by if getattr(by, "pk", None) else None,
        )
        keys = {e.end_to_end_id for e in statement.entries if e.end_to_end_id}
        payouts = {
            p.idempotency_key: p
            for p in Payout.objects.select_for_update()
            .select_related("member")
            .filter(idempotency_key__in=keys)
            .order_by("pk")
        }
        counts = {"paid": 0, "returned": 0, "already": 0, "unmatched": 0, "cases": 0}
        unmatched: list[dict[str, Any]] = []
        batches: set[int] = set()

        def case(kind: str, payout: Payout, entry: camt.StatementEntry, why: str) -> None:
            row = ReconciliationCase.objects.create(
                kind=kind, payout=payout, statement=record, details=_row(entry, why)
            )
            audit.record(action="payouts.case.open", obj=row, changes={"payout": payout.pk}, by=by)
            counts["cases"] += 1

        for entry in statement.entries:
            if entry.kind == camt.OTHER:
                why = (
                    f"status {entry.status or 'missing'}: not booked"
                    if entry.status != "BOOK"
                    else "no EndToEndId"
                    if not entry.end_to_end_id
                    else "neither a payout debit nor a return"
                )
                unmatched.append(_row(entry, why))
                continue
            payout = payouts.get(entry.end_to_end_id)
            if payout is None:
                unmatched.append(_row(entry, "no payout has this EndToEndId"))
                continue
            if (entry.amount_cents, entry.currency) != (payout.amount_cents, payout.currency):
                why = (
                    f"the entry is {entry.amount_cents} {entry.currency}, payout {payout.pk} "
                    f"is {payout.amount_cents} {payout.currency}"
                )
                unmatched.append(_row(entry, why))
                case(ReconciliationCase.Kind.MISMATCH, payout, entry, why)
                continue
            on = entry.booked_on or record.imported_at.date()
            if entry.kind == camt.PAID:
                if payout.status == S.PAID:
                    counts["already"] += 1
                elif payout.status in PAYABLE_BY_DEBIT:
                    attempts.settle_paid(payout, on=on, reference=entry.bank_reference, by=by)
                    counts["paid"] += 1
                    batches.add(payout.batch_id)
                else:
                    why = f"a debit for payout {payout.pk}, which is {payout.status}"
                    unmatched.append(_row(entry, why))
                    case(ReconciliationCase.Kind.UNEXPECTED, payout, entry, why)
            else:
                if payout.status == S.RETURNED:
                    counts["already"] += 1
                elif payout.status in RETURNABLE:
                    attempts.settle_returned(payout, on=on, reason=entry.return_reason, by=by)
                    counts["returned"] += 1
                    batches.add(payout.batch_id)
                else:
                    why = f"a return for payout {payout.pk}, which is {payout.status}"
                    unmatched.append(_row(entry, why))
                    case(ReconciliationCase.Kind.UNEXPECTED, payout, entry, why)
        counts["unmatched"] = len(unmatched)
        record.counts = counts
        record.unmatched = unmatched
        record.save(update_fields=["counts", "unmatched"])
        _close_settled(batches)
        audit.record(
            action="payouts.statement.import",
            obj=record,
            changes={"file_sha256": sha, "statement": record.statement_id, **counts},
            by=by,
        )
    return record


OPEN_STATES = (S.CREATED, S.SENDING, S.SUBMITTED, S.AMBIGUOUS)


def _close_settled(batch_ids: set[int]) -> None:
    for batch in PayoutBatch.objects.select_for_update().filter(pk__in=batch_ids):
        if not batch.payouts.filter(status__in=OPEN_STATES).exists():
            batch.status = PayoutBatch.Status.CLOSED
            batch.save(update_fields=["status"])
