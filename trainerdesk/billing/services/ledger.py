"""Posting to the ledger: accounts, balanced transactions, reversals, balances.

Every posting goes through `post_transaction` (or `reverse_transaction`), which checks
what the database triggers check (`billing/ledger_sql.py`) first, so a caller gets an
InvalidInput naming the problem instead of an IntegrityError, and records the audit
event in the same transaction. A posting is idempotent on its `source_key`: a retry with
the same legs returns the transaction already posted; different legs under the same key
are a ConflictError (someone is about to post something else as "the same" event).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from trainerdesk.billing.models import (
    CLIENT_KINDS,
    MEMBER_KINDS,
    Account,
    AccountKind,
    LedgerTransaction,
    Leg,
)
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.money import validate_currency

POSTED = LedgerTransaction.Status.POSTED


class LegSpec(NamedTuple):
    """One leg to post: a debit is a positive amount, a credit a negative one."""

    account: Account
    amount: int


def debit(account: Account, amount: int) -> LegSpec:
    """A debit of `amount` (> 0) minor units."""
    return LegSpec(account, amount)


def credit(account: Account, amount: int) -> LegSpec:
    """A credit of `amount` (> 0) minor units (stored negative)."""
    return LegSpec(account, -amount)


# -- accounts ---------------------------------------------------------------------------


def account_for(
    kind: str, *, client: Any = None, member: Any = None, currency: str, by: Any = None
) -> Account:
    """The account of `kind` for the party in `currency`, opened on first use.

    Per-client kinds (client_receivable) need `client`, per-member kinds
    (member_receivable, member_payable, clawback_receivable) need `member`, the platform's
    own accounts take neither."""
    try:
        kind = AccountKind(kind)
    except ValueError:
        raise InvalidInput([f"kind: {kind!r} is not an account kind"]) from None
    currency = validate_currency(currency)
    if kind in CLIENT_KINDS and (client is None or member is not None):
        raise InvalidInput([f"client: a {kind} account belongs to one client"])
    if kind in MEMBER_KINDS and (member is None or client is not None):
        raise InvalidInput([f"member: a {kind} account belongs to one member"])
    if kind not in CLIENT_KINDS | MEMBER_KINDS and (client is not None or member is not None):
        raise InvalidInput([f"kind: {kind} is a platform account (no client or member)"])
    lookup = {"kind": kind, "currency": currency, "client": client, "member": member}
    found = Account.objects.filter(**lookup).first()
    if found is not None:
        return found
    with transaction.atomic():
        try:
            with transaction.atomic():
                account = Account.objects.create(**lookup)
        except IntegrityError:
            # Someone opened it at the same moment (partial unique constraints).
            return Account.objects.get(**lookup)
        audit.record(
            action="billing.account.create",
            obj=account,
            changes={
                "kind": kind.value,
                "currency": currency,
                "client": getattr(client, "pk", None),
                "member": getattr(member, "pk", None),
            },
            by=by,
        )
    return account


# -- posting ----------------------------------------------------------------------------


def _clean_legs(legs: Iterable[Any]) -> list[LegSpec]:
    errors: list[str] = []
    cleaned: list[LegSpec] = []
    for i, leg in enumerate(legs):
        try:
            account, amount = leg
        except (TypeError, ValueError):
            errors.append(f"legs[{i}]: must be (account, amount)")
            continue
        if not isinstance(account, Account) or account.pk is None:
            errors.append(f"legs[{i}].account: must be a saved ledger Account")
            continue
        if not isinstance(amount, int) or isinstance(amount, bool):
            errors.append(f"legs[{i}].amount: must be an integer of minor units (no floats)")
            continue
        if amount == 0:
            errors.append(f"legs[{i}].amount: a leg moves money (not 0)")
            continue
        cleaned.append(LegSpec(account, amount))
    if errors:
        raise InvalidInput(errors)
    if len(cleaned) < 2:
        raise InvalidInput(["legs: a transaction has at least two legs"])
    sums: dict[str, int] = defaultdict(int)
    for leg in cleaned:
        sums[leg.account.currency] += leg.amount
    unbalanced = {cur: total for cur, total in sorted(sums.items()) if total}
    if unbalanced:
        detail = ", ".join(f"{cur} {total:+d}" for cur, total in unbalanced.items())
        raise InvalidInput([f"legs: debits and credits differ per currency ({detail})"])
    return cleaned


def _signature(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted(pairs)


def _leg_facts(txn: LedgerTransaction) -> list[list[Any]]:
    return [[leg.account_id, leg.amount, leg.currency] for leg in txn.legs.order_by("id")]


def _existing(source_key: str, kind: str, legs: Sequence[LegSpec]) -> LedgerTransaction | None:
    txn = LedgerTransaction.objects.filter(source_key=source_key).first()
    if txn is None:
        return None
    stored = _signature(txn.legs.values_list("account_id", "amount"))
    wanted = _signature((leg.account.pk, leg.amount) for leg in legs)
    if txn.kind != kind or stored != wanted or txn.status != POSTED:
        raise ConflictError(
            f"source_key {source_key!r}: already posted as transaction {txn.pk} "
            f"({txn.kind}) with other legs; a correction is a reversal, not a re-post"
        )
    return txn


def _insert(
    *,
    kind: str,
    legs: Sequence[LegSpec],
    memo: str,
    source_key: str,
    reverses: LedgerTransaction | None,
    by: Any,
) -> LedgerTransaction:
    # open → legs → posted: the database checks the sum and the count on the last step.
    txn = LedgerTransaction.objects.create(
        kind=kind,
        memo=memo,
        source_key=source_key,
        reverses=reverses,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    Leg.objects.bulk_create(
        [
            Leg(
                transaction=txn,
                account=leg.account,
                amount=leg.amount,
                currency=leg.account.currency,
            )
            for leg in legs
        ]
    )
    txn.status, txn.posted_at = POSTED, timezone.now()
    LedgerTransaction.objects.filter(pk=txn.pk).update(status=txn.status, posted_at=txn.posted_at)
    return txn


def _check_text(kind: object, memo: object, source_key: object) -> None:
    # object, not str: callers' values are checked here, whatever they passed.
    errors = []
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 40:
        errors.append("kind: a short name of what is posted (1 to 40 characters)")
    if not isinstance(source_key, str) or not source_key.strip() or len(source_key) > 120:
        errors.append("source_key: what this posting is, e.g. 'invoice:12:issued' (≤ 120)")
    if not isinstance(memo, str) or len(memo) > 300:
        errors.append("memo: at most 300 characters")
    if errors:
        raise InvalidInput(errors)


def post_transaction(
    *, kind: str, legs: Iterable[Any], memo: str = "", source_key: str, by: Any
) -> LedgerTransaction:
    """Post one balanced transaction (legs: `(account, amount)` pairs, debit positive),
    or return the one already posted under `source_key` with the same kind and legs."""
    _check_text(kind, memo, source_key)
    cleaned = _clean_legs(legs)
    with transaction.atomic():
        existing = _existing(source_key, kind, cleaned)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                txn = _insert(
                    kind=kind, legs=cleaned, memo=memo, source_key=source_key,
                    reverses=None, by=by,
                )  # fmt: skip
        except IntegrityError:
            # A concurrent post of the same source_key won: same legs → that one.
            existing = _existing(source_key, kind, cleaned)
            if existing is None:
                raise
            return existing
        audit.record(
            action="billing.transaction.post",
            obj=txn,
            changes={"kind": kind, "source_key": source_key, "legs": _leg_facts(txn)},
            reason=memo,
            by=by,
        )
    return txn


def reverse_transaction(
    *, transaction: LedgerTransaction, reason: str, by: Any, source_key: str | None = None
) -> LedgerTransaction:
    """A new posted transaction with every leg of `transaction` negated, linked to it by
    `reverses`. A transaction is reversed at most once (a second call with the same
    source key returns the reversal; any other is a ConflictError)."""
    from django.db import transaction as db

    text = (reason or "").strip()
    if not text:
        raise InvalidInput(["reason: say why the transaction is reversed"])
    with db.atomic():
        original = LedgerTransaction.objects.select_for_update().get(pk=transaction.pk)
        key = source_key or f"reversal:{original.pk}"
        if original.status != POSTED:
            raise ConflictError(f"transaction {original.pk}: only a posted one is reversed")
        done = LedgerTransaction.objects.filter(reverses=original).first()
        if done is not None:
            if done.source_key == key:
                return done
            raise ConflictError(
                f"transaction {original.pk}: already reversed by transaction {done.pk}"
            )
        legs = [
            LegSpec(leg.account, -leg.amount)
            for leg in original.legs.select_related("account").order_by("id")
        ]
        _check_text("reversal", text[:300], key)
        if LedgerTransaction.objects.filter(source_key=key).exists():
            raise ConflictError(f"source_key {key!r}: already used by another transaction")
        txn = _insert(
            kind="reversal", legs=legs, memo=text[:300], source_key=key,
            reverses=original, by=by,
        )  # fmt: skip
        audit.record(
            action="billing.transaction.reverse",
            obj=txn,
            changes={
                "reverses": original.pk,
                "reversed_kind": original.kind,
                "source_key": key,
                "legs": _leg_facts(txn),
            },
            reason=text,
            by=by,
        )
    return txn


# -- balances ---------------------------------------------------------------------------


def _posted_legs():
    # Transactions not posted are normally none (a posting commits open → posted in one
    # database transaction); leaving them out by NOT IN over the partial index
    # `ledgertxn_not_posted` keeps the balance query on the legs' own index, where a
    # join to every transaction would cost a lookup per leg (bench/bench_ledger.py).
    not_posted = LedgerTransaction.objects.exclude(status=POSTED).values("id")
    return Leg.objects.exclude(transaction_id__in=not_posted)


def balance(account: Account) -> int:
    """The account's balance in minor units: debits minus credits (assets positive,
    liabilities and revenue negative; `Account.normal_sign` flips them for display)."""
    total = _posted_legs().filter(account=account).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def balances(accounts: Iterable[Account]) -> dict[int, int]:
    """Balances of several accounts in one query: {account id: balance}."""
    ids = [a.pk for a in accounts]
    rows = (
        _posted_legs()
        .filter(account_id__in=ids)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    found = {account_id: int(total) for account_id, total in rows}
    return {pk: found.get(pk, 0) for pk in ids}


@dataclass(frozen=True)
class TrialRow:
    account: Account
    balance: int
    # The client's name or the member's display name; "" for the platform's accounts.
    party: str = ""

    @property
    def debit(self) -> int:
        return self.balance if self.balance > 0 else 0

    @property
    def credit(self) -> int:
        return -self.balance if self.balance < 0 else 0


@dataclass
class TrialBalance:
    """Every account with legs and its balance; `totals` per currency, each zero in a
    sound ledger (`balanced`)."""

    rows: list[TrialRow] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return all(total == 0 for total in self.totals.values())

    @property
    def total(self) -> int:
        """The sum over all currencies (zero when balanced); per currency: `totals`."""
        return sum(self.totals.values())


ACCOUNT_COLUMNS = ("id", "kind", "currency", "client_id", "member_id")


def trial_balance(*, currency: str | None = None) -> TrialBalance:
    """Balances of all accounts (one GROUP BY over the legs), sorted by kind, currency and
    account id, with the total per currency.

    The accounts are read as plain columns with their party's name (one query) and built
    without their client/member rows (`created_at` deferred): with thousands of per-party
    accounts, loading each client and member model cost more than the GROUP BY over a
    million legs (bench/bench_ledger.py, PostgreSQL: 0.26-0.66 s for 5,004 accounts with
    select_related, against 0.2-0.3 s for the GROUP BY)."""
    legs = _posted_legs()
    if currency is not None:
        legs = legs.filter(currency=validate_currency(currency))
    sums = dict(
        legs.values("account_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("account_id", "total")
    )
    accounts = Account.objects.order_by("kind", "currency", "id")
    if currency is not None:
        accounts = accounts.filter(currency=currency)
    if len(sums) <= 1000:
        # Few accounts moved: fetch just those (an IN list stays small).
        accounts = accounts.filter(pk__in=list(sums))
    result = TrialBalance()
    totals: dict[str, int] = defaultdict(int)
    columns = (*ACCOUNT_COLUMNS, "client__name", "member__display_name")
    for *values, client_name, member_name in accounts.values_list(*columns):
        amount = sums.get(values[0])
        if amount is None:
            continue
        # from_db: Django's own positional path (keyword __init__ cost ~5x as much).
        account = Account.from_db(None, ACCOUNT_COLUMNS, values)
        result.rows.append(TrialRow(account, int(amount), client_name or member_name or ""))
        totals[account.currency] += int(amount)
    result.totals = dict(sorted(totals.items()))
    return result
