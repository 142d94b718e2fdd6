"""The money flows of the network as ledger postings (issue 11, "Money flow per
placement"). Each recipe takes plain amounts and ids (the invoicing and payouts apps call
them; there is no invoice model here), builds the legs and posts them through
`ledger.post_transaction` under a source key that names the event, so calling a recipe
twice for the same event posts once.

    placement invoice issued   Dr client_receivable (gross)
                               Cr deferred_fee (net), Cr vat_payable (VAT, if charged)
    client paid                Dr cash / Cr client_receivable
    fee earned                 Dr deferred_fee (fee) / Cr platform_revenue (platform part)
      (guarantee passed          + Cr member_payable (member part): the split stored on the
       and client paid)          placement (largest remainder, placements/fees.py)
    payout                     Dr member_payable (gross) / Cr clawback_receivable (what
                               is netted) + Cr cash (what is transferred)
    credit note                the invoice in reverse: Dr deferred_fee (or
                               membership_revenue) + Dr vat_payable / Cr the receivable
    refund due / refund paid   Dr client_receivable / Cr refunds; Dr refunds / Cr cash
    fall-off after release     reversal of "fee earned"; if the member was already paid,
                               Dr clawback_receivable / Cr member_payable (netted from
                               later payouts, or repaid: Dr cash / Cr clawback_receivable)
    membership invoice         Dr member_receivable / Cr membership_revenue + Cr vat_payable
    membership paid            Dr cash / Cr member_receivable

Amounts are non-negative integer minor units; VAT of 0 (reverse charge, outside the EU)
posts no VAT leg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainerdesk.billing.models import Account, AccountKind, LedgerTransaction
from trainerdesk.billing.services import ledger
from trainerdesk.billing.services.ledger import LegSpec, credit, debit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.money import validate_currency

K = AccountKind


def _amount(name: str, value: Any, *, positive: bool = True) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput([f"{name}: must be an integer of minor units (cents)"])
    if value < 0 or (positive and value == 0):
        raise InvalidInput([f"{name}: must be {'positive' if positive else 'zero or more'}"])
    return value


def _key(name: str, value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 80:
        raise InvalidInput([f"{name}: an id of the event (1 to 80 characters)"])
    return text


def _legs(*legs: LegSpec) -> list[LegSpec]:
    return [leg for leg in legs if leg.amount != 0]


def _acct(kind: str, currency: str, *, by: Any, client: Any = None, member: Any = None):
    return ledger.account_for(kind, client=client, member=member, currency=currency, by=by)


# -- placement fees -----------------------------------------------------------------------


def placement_invoice_issued(
    *,
    invoice_id: Any,
    client: Any,
    net_cents: int,
    vat_cents: int,
    currency: str,
    placement_id: Any = None,
    by: Any,
) -> LedgerTransaction:
    """A placement-fee invoice was issued: the client owes net + VAT; the fee is deferred
    until the guarantee has passed and the client has paid."""
    net = _amount("net_cents", net_cents)
    vat = _amount("vat_cents", vat_cents, positive=False)
    currency = validate_currency(currency)
    legs = _legs(
        debit(_acct(K.CLIENT_RECEIVABLE, currency, client=client, by=by), net + vat),
        credit(_acct(K.DEFERRED_FEE, currency, by=by), net),
        credit(_acct(K.VAT_PAYABLE, currency, by=by), vat),
    )
    memo = f"invoice {invoice_id}" + (f" for placement {placement_id}" if placement_id else "")
    return ledger.post_transaction(
        kind="placement_invoice.issued", legs=legs, memo=memo,
        source_key=f"invoice:{_key('invoice_id', invoice_id)}:issued", by=by,
    )  # fmt: skip


def client_paid(
    *, payment_key: Any, client: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """Money from the client arrived (bank or PSP): Dr cash / Cr client receivable."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.CASH, currency, by=by), amount),
        credit(_acct(K.CLIENT_RECEIVABLE, currency, client=client, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="client.paid", legs=legs, memo=f"payment {payment_key} from client {client.pk}",
        source_key=f"client_payment:{_key('payment_key', payment_key)}", by=by,
    )  # fmt: skip


def fee_earned(*, placement: Any, by: Any) -> LedgerTransaction:
    """The fee of `placement` is earned (guarantee passed and client paid, or released
    early by staff): the deferred fee becomes platform revenue and the member's payable,
    split as stored on the placement (member_commission_cents + platform_cents == fee)."""
    currency = validate_currency(placement.currency)
    legs = _legs(
        debit(_acct(K.DEFERRED_FEE, currency, by=by), int(placement.fee_cents)),
        credit(_acct(K.PLATFORM_REVENUE, currency, by=by), int(placement.platform_cents)),
        credit(
            _acct(K.MEMBER_PAYABLE, currency, member=placement.member, by=by),
            int(placement.member_commission_cents),
        ),
    )
    return ledger.post_transaction(
        kind="placement.fee_earned", legs=legs, memo=f"placement {placement.pk} earned",
        source_key=fee_earned_key(placement), by=by,
    )  # fmt: skip


def fee_earned_key(placement: Any) -> str:
    return f"placement:{placement.pk}:earned"


def fee_earned_reversed(*, placement: Any, reason: str, by: Any) -> LedgerTransaction | None:
    """Undo "fee earned" of `placement` (it fell off after its commission was released);
    None when it was never posted."""
    earned = LedgerTransaction.objects.filter(source_key=fee_earned_key(placement)).first()
    if earned is None:
        return None
    return ledger.reverse_transaction(
        transaction=earned, reason=reason, by=by,
        source_key=f"placement:{placement.pk}:earned:reversal",
    )  # fmt: skip


def clawback_opened(
    *, placement: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """The member was paid a commission that is no longer earned: what they owe moves from
    their (now debit) payable to a clawback receivable, netted from later payouts."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    member = placement.member
    legs = [
        debit(_acct(K.CLAWBACK_RECEIVABLE, currency, member=member, by=by), amount),
        credit(_acct(K.MEMBER_PAYABLE, currency, member=member, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="commission.clawback", legs=legs,
        memo=f"clawback of placement {placement.pk}",
        source_key=f"placement:{placement.pk}:clawback", by=by,
    )  # fmt: skip


def clawback_repaid(
    *, payment_key: Any, member: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """The member paid back a clawback directly: Dr cash / Cr clawback receivable."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.CASH, currency, by=by), amount),
        credit(_acct(K.CLAWBACK_RECEIVABLE, currency, member=member, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="clawback.repaid", legs=legs, memo=f"clawback repaid by member {member.pk}",
        source_key=f"clawback_payment:{_key('payment_key', payment_key)}", by=by,
    )  # fmt: skip


# -- payouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutPlan:
    """What a payout of `gross` commissions moves: `clawback` netted against what the
    member owes, `cash` transferred (gross = clawback + cash)."""

    gross: int
    clawback: int
    cash: int


def clawback_outstanding(*, member: Any, currency: str) -> int:
    """What the member owes the platform from clawbacks (≥ 0)."""
    # Looked up, not opened: reading must not write (nor need an actor for the audit).
    account = Account.objects.filter(
        kind=K.CLAWBACK_RECEIVABLE, member=member, currency=validate_currency(currency)
    ).first()
    return max(ledger.balance(account), 0) if account is not None else 0


def plan_payout(*, member: Any, gross_cents: int, currency: str) -> PayoutPlan:
    """How a payout of `gross_cents` splits into netted clawback and cash (the clawback
    outstanding now, up to the gross). Read-only; pass the plan's `clawback` to
    `payout_sent` so the amounts posted are the ones in the bank file."""
    gross = _amount("gross_cents", gross_cents, positive=False)
    netted = min(gross, clawback_outstanding(member=member, currency=validate_currency(currency)))
    return PayoutPlan(gross=gross, clawback=netted, cash=gross - netted)


def payout_sent(
    *,
    payout_key: Any,
    member: Any,
    gross_cents: int,
    currency: str,
    clawback_cents: int = 0,
    by: Any,
) -> LedgerTransaction:
    """A payout to `member` left (bank file sent): Dr member payable (gross) / Cr
    clawback receivable (netted) / Cr cash (transferred). A returned payout is undone
    with `ledger.reverse_transaction`."""
    gross = _amount("gross_cents", gross_cents)
    netted = _amount("clawback_cents", clawback_cents, positive=False)
    if netted > gross:
        raise InvalidInput(["clawback_cents: cannot net more than the payout's gross"])
    currency = validate_currency(currency)
    legs = _legs(
        debit(_acct(K.MEMBER_PAYABLE, currency, member=member, by=by), gross),
        credit(_acct(K.CLAWBACK_RECEIVABLE, currency, member=member, by=by), netted),
        credit(_acct(K.CASH, currency, by=by), gross - netted),
    )
    return ledger.post_transaction(
        kind="payout.sent", legs=legs, memo=f"payout {payout_key} to member {member.pk}",
        source_key=f"payout:{_key('payout_key', payout_key)}:sent", by=by,
    )  # fmt: skip


# -- credit notes and refunds -------------------------------------------------------------


def credit_note_issued(
    *,
    credit_note_id: Any,
    net_cents: int,
    vat_cents: int,
    currency: str,
    client: Any = None,
    member: Any = None,
    by: Any,
) -> LedgerTransaction:
    """A credit note cancels (part of) an invoice: the issuing entry in reverse. With
    `client` against the deferred fee (a placement that fell off inside its guarantee,
    before its fee was earned; `fee_earned_reversed` first if it was), with `member`
    against membership revenue."""
    if (client is None) == (member is None):
        raise InvalidInput(["client/member: a credit note is for one client or one member"])
    net = _amount("net_cents", net_cents)
    vat = _amount("vat_cents", vat_cents, positive=False)
    currency = validate_currency(currency)
    if client is not None:
        revenue = _acct(K.DEFERRED_FEE, currency, by=by)
        receivable = _acct(K.CLIENT_RECEIVABLE, currency, client=client, by=by)
        kind = "placement_credit_note.issued"
    else:
        revenue = _acct(K.MEMBERSHIP_REVENUE, currency, by=by)
        receivable = _acct(K.MEMBER_RECEIVABLE, currency, member=member, by=by)
        kind = "membership_credit_note.issued"
    legs = _legs(
        debit(revenue, net),
        debit(_acct(K.VAT_PAYABLE, currency, by=by), vat),
        credit(receivable, net + vat),
    )
    return ledger.post_transaction(
        kind=kind, legs=legs, memo=f"credit note {credit_note_id}",
        source_key=f"credit_note:{_key('credit_note_id', credit_note_id)}:issued", by=by,
    )  # fmt: skip


def refund_due(
    *, refund_key: Any, client: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """A client's credit balance (paid, then credited) becomes a refund owed to them."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.CLIENT_RECEIVABLE, currency, client=client, by=by), amount),
        credit(_acct(K.REFUNDS, currency, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="refund.due", legs=legs, memo=f"refund {refund_key} to client {client.pk}",
        source_key=f"refund:{_key('refund_key', refund_key)}:due", by=by,
    )  # fmt: skip


def refund_paid(*, refund_key: Any, amount_cents: int, currency: str, by: Any) -> LedgerTransaction:
    """The refund left the bank: Dr refunds / Cr cash."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.REFUNDS, currency, by=by), amount),
        credit(_acct(K.CASH, currency, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="refund.paid", legs=legs, memo=f"refund {refund_key} paid",
        source_key=f"refund:{_key('refund_key', refund_key)}:paid", by=by,
    )  # fmt: skip


def member_refund_due(
    *, refund_key: Any, member: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """A member's credit balance (a membership invoice paid, then credited) becomes a
    refund owed to them: Dr member receivable / Cr refunds. Its own source-key namespace,
    so a member's and a client's refund with the same key never collide."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.MEMBER_RECEIVABLE, currency, member=member, by=by), amount),
        credit(_acct(K.REFUNDS, currency, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="member_refund.due", legs=legs, memo=f"refund {refund_key} to member {member.pk}",
        source_key=f"member_refund:{_key('refund_key', refund_key)}:due", by=by,
    )  # fmt: skip


def member_refund_paid(
    *, refund_key: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """The member's refund left the bank: Dr refunds / Cr cash."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.REFUNDS, currency, by=by), amount),
        credit(_acct(K.CASH, currency, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="member_refund.paid", legs=legs, memo=f"member refund {refund_key} paid",
        source_key=f"member_refund:{_key('refund_key', refund_key)}:paid", by=by,
    )  # fmt: skip


# -- memberships --------------------------------------------------------------------------


def membership_invoice_issued(
    *, invoice_id: Any, member: Any, net_cents: int, vat_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """A membership invoice (€177/year by default) was issued to `member`."""
    net = _amount("net_cents", net_cents)
    vat = _amount("vat_cents", vat_cents, positive=False)
    currency = validate_currency(currency)
    legs = _legs(
        debit(_acct(K.MEMBER_RECEIVABLE, currency, member=member, by=by), net + vat),
        credit(_acct(K.MEMBERSHIP_REVENUE, currency, by=by), net),
        credit(_acct(K.VAT_PAYABLE, currency, by=by), vat),
    )
    return ledger.post_transaction(
        kind="membership_invoice.issued", legs=legs, memo=f"membership invoice {invoice_id}",
        source_key=f"invoice:{_key('invoice_id', invoice_id)}:issued", by=by,
    )  # fmt: skip


def membership_paid(
    *, payment_key: Any, member: Any, amount_cents: int, currency: str, by: Any
) -> LedgerTransaction:
    """The member paid a membership invoice: Dr cash / Cr member receivable."""
    amount = _amount("amount_cents", amount_cents)
    currency = validate_currency(currency)
    legs = [
        debit(_acct(K.CASH, currency, by=by), amount),
        credit(_acct(K.MEMBER_RECEIVABLE, currency, member=member, by=by), amount),
    ]
    return ledger.post_transaction(
        kind="membership.paid", legs=legs, memo=f"membership payment {payment_key}",
        source_key=f"member_payment:{_key('payment_key', payment_key)}", by=by,
    )  # fmt: skip
