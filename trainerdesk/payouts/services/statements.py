"""Importing a bank statement (camt.053): the bank's word on each payout and refund.

The file is read completely first (`camt.parse_camt053`: a bad file is an error naming the
element, and nothing is written); then it is applied in short transactions of
`BATCH_SIZE` entries, each committing the entries' `StatementLine` outcomes with what they
settled: a booked debit with a payout's key marks it paid (ledger posted through billing,
commissions paid), a return marks it returned (posting reversed, commissions payable
again); a member refund transfer's key settles the refund the same way. An entry that
names nothing of ours, or whose amount or currency differs, or that arrives in a state
the payout cannot take (a debit for a payout never sent) changes nothing and is listed;
the last two open a reconciliation case.

Why batches and not one transaction: every settlement records audit events, and each
event locks the global chain's head until its transaction commits; one transaction for a
1,000-entry statement held that lock (and SQLite's write lock) for 20-70 s, blocking
sign-ins (docs/benchmarks.md). Now it is held for one batch. A statement that fits in
one batch is still all or nothing (the record is created in the first batch's
transaction); a larger one that fails midway keeps its record `importing` with the lines
not yet applied `pending`, and importing the same file again carries on from there —
a line is applied exactly once, because it is marked in the transaction that applies it.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.payouts import camt, sepa
from trainerdesk.payouts.models import (
    Payout,
    PayoutBatch,
    ReconciliationCase,
    RefundTransfer,
    StatementImport,
    StatementLine,
)
from trainerdesk.payouts.services import attempts
from trainerdesk.payouts.services import refunds as refunds_service

S = Payout.Status
LINE = StatementLine.Outcome
REFUND = RefundTransfer.Status
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


# Lines per transaction: at 30-90 ms an entry under load (its audit events, postings and
# commission moves) a batch of 10 holds the chain head for under a second
# (docs/benchmarks.md, money11).
BATCH_SIZE = 10
# SQLite's write lock is not queued: a writer waiting in its busy handler polls at most
# every 100 ms and would never see the instant between two batches, so on SQLite the
# import pauses that long after a batch for a waiting sign-in to get in, with larger
# batches so the pauses stay a small part of the import. PostgreSQL queues row-lock
# waiters: no pause there.
SQLITE_BATCH_SIZE = 25
SQLITE_YIELD_SECONDS = 0.11


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
    sqlite = connection.vendor == "sqlite"
    size = SQLITE_BATCH_SIZE if sqlite else BATCH_SIZE
    record = None
    while True:
        if record is not None and sqlite:
            time.sleep(SQLITE_YIELD_SECONDS)
        with transaction.atomic():
            if record is None:
                record = _start(data, sha, statement, by=by)
            else:
                record = StatementImport.objects.select_for_update().get(pk=record.pk)
            todo = list(
                record.lines.select_for_update()
                .filter(outcome=StatementLine.Outcome.PENDING)
                .order_by("position")[:size]
            )
            # The record's row lock serialises two imports of the same file batch by batch
            # (each then takes only lines still pending); the last one through finishes.
            _apply(record, todo, by=by)
            if record.status == "done":
                return record
            if not record.lines.filter(outcome=StatementLine.Outcome.PENDING).exists():
                return _finish(record, sha, by=by)


def _start(data: bytes, sha: str, statement: camt.Statement, *, by: Any) -> StatementImport:
    """The import's record and its pending lines, or the record of an earlier import of
    the same file that stopped midway (resumed)."""
    earlier = StatementImport.objects.select_for_update().filter(file_sha256=sha).first()
    if earlier is not None and earlier.status == "importing":
        return earlier
    if earlier is not None:
        raise ConflictError(
            f"file: this statement was imported already (import {earlier.pk} on "
            f"{earlier.imported_at:%Y-%m-%d})"
        )
    record = StatementImport.objects.create(
        file=data,
        file_sha256=sha,
        status="importing",
        statement_id=statement.statement_id[:200],
        account_iban=statement.iban[:34],
        imported_by=by if getattr(by, "pk", None) else None,
    )
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=record,
            position=i,
            where=e.where[:100],
            end_to_end_id=e.end_to_end_id[:35],
            amount_cents=e.amount_cents,
            currency=e.currency,
            kind=e.kind,
            status=e.status[:10],
            booked_on=e.booked_on,
            return_reason=e.return_reason[:35],
            bank_reference=e.bank_reference[:100],
        )
        for i, e in enumerate(statement.entries)
    )
    return record


def _entry(line: StatementLine) -> camt.StatementEntry:
    return camt.StatementEntry(
        where=line.where, end_to_end_id=line.end_to_end_id, amount_cents=line.amount_cents,
        currency=line.currency, kind=line.kind, booked_on=line.booked_on, status=line.status,
        return_reason=line.return_reason, bank_reference=line.bank_reference,
    )  # fmt: skip


def _apply(record: StatementImport, lines: list[StatementLine], *, by: Any) -> None:
    """Settle `lines` (locked, pending) in the caller's transaction."""
    keys = {line.end_to_end_id for line in lines if line.end_to_end_id}
    payouts = {
        p.idempotency_key: p
        for p in Payout.objects.select_for_update()
        .select_related("member")
        .filter(idempotency_key__in=keys)
        .order_by("pk")
    }
    refunds = {
        r.idempotency_key: r
        for r in RefundTransfer.objects.select_for_update()
        .filter(idempotency_key__in=keys - set(payouts))
        .order_by("pk")
    }
    batches: set[int] = set()

    def case(kind: str, payout: Payout, line: StatementLine, why: str) -> None:
        row = ReconciliationCase.objects.create(
            kind=kind, payout=payout, statement=record, details=_row(_entry(line), why)
        )
        audit.record(action="payouts.case.open", obj=row, changes={"payout": payout.pk}, by=by)

    for line in lines:
        line.outcome, line.reason = _settle(line, payouts, refunds, case, batches, by=by)
        line.payout = payouts.get(line.end_to_end_id)
        line.refund = refunds.get(line.end_to_end_id)
        line.reason = line.reason[:300] if line.outcome == LINE.UNMATCHED else ""
    StatementLine.objects.bulk_update(lines, ["outcome", "reason", "payout", "refund"])
    _close_settled(batches)


def _settle(
    line: StatementLine,
    payouts: dict[str, Payout],
    refunds: dict[str, RefundTransfer],
    case: Any,
    batches: set[int],
    *,
    by: Any,
) -> tuple[str, str]:
    """(outcome, why) of one line, applying it."""
    if line.kind == camt.OTHER:
        why = (
            f"status {line.status or 'missing'}: not booked"
            if line.status != "BOOK"
            else "no EndToEndId"
            if not line.end_to_end_id
            else "neither a payout debit nor a return"
        )
        return LINE.UNMATCHED, why
    on = line.booked_on or timezone.localdate()
    key = line.end_to_end_id
    target: Payout | RefundTransfer | None = refunds.get(key)
    what, rules = "refund transfer", REFUND_RULES
    if target is None:
        target, what, rules = payouts.get(key), "payout", PAYOUT_RULES
    if target is None:
        return LINE.UNMATCHED, "no payout has this EndToEndId"
    payout = target if isinstance(target, Payout) else None
    if (line.amount_cents, line.currency) != (target.amount_cents, target.currency):
        why = (
            f"the entry is {line.amount_cents} {line.currency}, {what} {target.pk} "
            f"is {target.amount_cents} {target.currency}"
        )
        if payout is not None:
            case(ReconciliationCase.Kind.MISMATCH, payout, line, why)
        return LINE.UNMATCHED, why
    rule = rules[line.kind]
    if target.status == rule.done:
        return LINE.ALREADY, ""
    if target.status not in rule.states:
        why = f"{rule.word} for {what} {target.pk}, which is {target.status}"
        if payout is not None:
            case(ReconciliationCase.Kind.UNEXPECTED, payout, line, why)
        return LINE.UNMATCHED, why
    rule.settle(target, line, on, by)
    if payout is not None:
        batches.add(payout.batch_id)
    return rule.outcome, ""


@dataclass(frozen=True)
class Rule:
    """How a booked debit or a return settles a payout or a refund transfer: the state it
    leaves (`done`: a second entry is "already"), the states it may settle, and how."""

    done: str
    states: tuple[str, ...]
    settle: Callable[[Any, StatementLine, datetime.date, Any], None]
    outcome: str
    word: str


PAYOUT_RULES = {
    camt.PAID: Rule(
        S.PAID, PAYABLE_BY_DEBIT,
        lambda p, line, on, by: attempts.settle_paid(
            p, on=on, reference=line.bank_reference, by=by
        ),
        LINE.PAID, "a debit",
    ),
    camt.RETURNED: Rule(
        S.RETURNED, RETURNABLE,
        lambda p, line, on, by: attempts.settle_returned(
            p, on=on, reason=line.return_reason, by=by
        ),
        LINE.RETURNED, "a return",
    ),
}  # fmt: skip
REFUND_RULES = {
    camt.PAID: Rule(
        REFUND.PAID, (REFUND.SUBMITTED, REFUND.AMBIGUOUS, REFUND.SENDING),
        lambda r, line, on, by: refunds_service.settle_refund_paid(
            r, on=on, reference=line.bank_reference, by=by
        ),
        LINE.REFUND_PAID, "a debit",
    ),
    camt.RETURNED: Rule(
        REFUND.RETURNED, (REFUND.PAID, REFUND.SUBMITTED, REFUND.AMBIGUOUS),
        lambda r, line, on, by: refunds_service.settle_refund_returned(
            r, on=on, reason=line.return_reason, by=by
        ),
        LINE.REFUND_RETURNED, "a return",
    ),
}  # fmt: skip


def _finish(record: StatementImport, sha: str, *, by: Any) -> StatementImport:
    """Counts and the unmatched list from the lines; the import's own audit event."""
    lines = list(record.lines.order_by("position"))
    tally = Counter(line.outcome for line in lines)
    counts = {
        "paid": tally[LINE.PAID],
        "returned": tally[LINE.RETURNED],
        "already": tally[LINE.ALREADY],
        "unmatched": tally[LINE.UNMATCHED],
        "cases": record.cases.count(),
    }
    if tally[LINE.REFUND_PAID] or tally[LINE.REFUND_RETURNED]:
        counts["refunds_paid"] = tally[LINE.REFUND_PAID]
        counts["refunds_returned"] = tally[LINE.REFUND_RETURNED]
    record.counts = counts
    record.unmatched = [
        _row(_entry(line), line.reason) for line in lines if line.outcome == LINE.UNMATCHED
    ]
    record.status = "done"
    record.save(update_fields=["counts", "unmatched", "status"])
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
