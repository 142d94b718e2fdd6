"""The platform's double-entry ledger and the members' commissions.

Why our own ledger and not django-hordak: hordak keeps amounts as `Decimal` through
django-money (`MoneyField`, a DecimalField plus a currency column) and its balances are
`Money`/`Balance` objects, while the project's rule (DEVELOPERS.md, `lib/money.py`) is an
integer of the currency's minor unit beside its ISO code, with no Decimal or float on the
money path. Adapting hordak would mean converting at every border and trusting its
Decimal columns' scale per currency (ISK has 0 digits, EUR 2). Its database checks
(PostgreSQL only, via its own migrations) also do not cover SQLite, which is the default
database here. What we need is small: three tables, triggers on both databases
(`billing/ledger_sql.py`) and one GROUP BY for balances, so it is written here.

Conventions:
- `Leg.amount` is signed minor units: a debit is positive, a credit negative. The legs of
  a transaction sum to zero per currency, and there are at least two.
- A transaction is inserted `open`, its legs are inserted, then it is updated to
  `posted`; the database checks the sum and the count on that update and refuses any
  later change to it or its legs (corrections are reversing transactions, `reverses`).
- Balances are derived: the sum of an account's legs in posted transactions
  (`services.ledger.balance`). Debit-normal accounts (assets) have positive balances,
  credit-normal ones (liabilities, revenue) negative; `Account.normal_sign` says which.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.network.models import Client, Member
from trainerdesk.placements.models import Placement


class AccountKind(models.TextChoices):
    CLIENT_RECEIVABLE = "client_receivable", "Client receivable"
    MEMBER_RECEIVABLE = "member_receivable", "Member receivable (membership)"
    CASH = "cash", "Cash (bank / PSP clearing)"
    DEFERRED_FEE = "deferred_fee", "Deferred placement fees"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue (placement fees)"
    MEMBERSHIP_REVENUE = "membership_revenue", "Membership revenue"
    MEMBER_PAYABLE = "member_payable", "Member payable (commissions)"
    VAT_PAYABLE = "vat_payable", "VAT payable"
    CLAWBACK_RECEIVABLE = "clawback_receivable", "Clawback receivable (member)"
    REFUNDS = "refunds", "Refunds payable to clients"


CLIENT_KINDS = frozenset({AccountKind.CLIENT_RECEIVABLE})
MEMBER_KINDS = frozenset(
    {AccountKind.MEMBER_RECEIVABLE, AccountKind.MEMBER_PAYABLE, AccountKind.CLAWBACK_RECEIVABLE}
)
# Assets carry debit balances (positive); everything else here is a liability or revenue.
DEBIT_NORMAL = frozenset(
    {
        AccountKind.CLIENT_RECEIVABLE,
        AccountKind.MEMBER_RECEIVABLE,
        AccountKind.CASH,
        AccountKind.CLAWBACK_RECEIVABLE,
    }
)


class Account(models.Model):
    """One ledger account: a kind, a currency and, for per-party kinds, its client or
    member. One row per (kind, party, currency), enforced by the partial unique
    constraints below (NULLs never collide in a plain unique constraint)."""

    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "currency", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "client", "currency"],
                condition=models.Q(client__isnull=False),
                name="account_once_per_client",
            ),
            models.UniqueConstraint(
                fields=["kind", "member", "currency"],
                condition=models.Q(member__isnull=False),
                name="account_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=models.Q(client__isnull=True, member__isnull=True),
                name="account_once_platform",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind__in=sorted(CLIENT_KINDS), client__isnull=False, member__isnull=True
                    )
                    | models.Q(
                        kind__in=sorted(MEMBER_KINDS), member__isnull=False, client__isnull=True
                    )
                    | (
                        models.Q(client__isnull=True, member__isnull=True)
                        & ~models.Q(kind__in=sorted(CLIENT_KINDS | MEMBER_KINDS))
                        & models.Q(kind__in=AccountKind.values)
                    )
                ),
                name="account_party_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        party = self.client or self.member
        label = AccountKind(self.kind).label
        return f"{label} · {party} · {self.currency}" if party else f"{label} · {self.currency}"

    @property
    def normal_sign(self) -> int:
        """+1 for debit-normal accounts (assets), -1 for credit-normal ones."""
        return 1 if self.kind in DEBIT_NORMAL else -1


class LedgerTransaction(models.Model):
    """One balanced posting. Immutable once `posted` (database triggers)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open (legs being written)"
        POSTED = "posted", "Posted"

    kind = models.CharField(max_length=40)
    memo = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    posted_at = models.DateTimeField(null=True, blank=True)
    # What this posting is, so a retry finds it instead of posting twice
    # ("invoice:12:issued", "placement:7:earned").
    source_key = models.CharField(max_length=120, unique=True)
    # A correction: this transaction negates `reverses`, which is reversed at most once.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "posted"]), name="ledgertxn_status_known"
            )
        ]
        indexes = [
            # The trial balance leaves out transactions that are not posted: normally none,
            # so this partial index keeps that set one index probe.
            models.Index(
                fields=["status"],
                condition=~models.Q(status="posted"),
                name="ledgertxn_not_posted",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.source_key})"


class Leg(models.Model):
    """One side of a transaction: signed minor units (debit +, credit -) in the account's
    currency (copied here so the zero-sum check groups by it without a join)."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legs")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="leg_amount_not_zero")
        ]
        indexes = [
            # Balances: GROUP BY account over (account, transaction, amount) reads the index
            # only; the account page pages through an account's legs by id.
            models.Index(fields=["account", "transaction", "amount"], name="leg_account_sum"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.currency} on account {self.account_id}"

    @property
    def debit(self) -> int:
        return self.amount if self.amount > 0 else 0

    @property
    def credit(self) -> int:
        return -self.amount if self.amount < 0 else 0


class Commission(models.Model):
    """What a member earns from one placement (the split stored on the placement).

    pending → payable (the client paid and the guarantee passed, or staff released it
    early) → in_payout → paid; clawed_back when the placement fell off after the money
    was released; cancelled when it fell off before."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAYABLE = "payable", "Payable"
        IN_PAYOUT = "in_payout", "In payout"
        PAID = "paid", "Paid"
        CLAWED_BACK = "clawed_back", "Clawed back"
        CANCELLED = "cancelled", "Cancelled"

    placement = models.OneToOneField(Placement, on_delete=models.PROTECT, related_name="commission")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="commissions")
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    client_paid_on = models.DateField(null=True, blank=True)
    payable_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    released_early = models.BooleanField(default=False)
    clawed_back_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "member"], name="commission_status_member")]

    def __str__(self) -> str:
        return f"commission of placement {self.placement_id}: {self.status}"
