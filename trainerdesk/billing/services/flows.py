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

The recipes are data (`RECIPES`: kind, legs, memo, source key) and one function posts any
of them (`post_recipe`), so a new flow is a table row, not another copy of the checks.
The public functions (`client_paid`, ...) are made from the table with keyword-only
signatures; the few that derive their values (from a placement, or a choice between
client and member) are written out and call `post_recipe`.

Amounts are non-negative integer minor units; VAT of 0 (reverse charge, outside the EU)
posts no VAT leg.
"""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trainerdesk.billing.models import Account, AccountKind, LedgerTransaction
from trainerdesk.billing.services import ledger
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.money import validate_currency

K = AccountKind
DR, CR = 1, -1


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


@dataclass(frozen=True)
class LegRule:
    """One leg of a recipe: side (DR/CR), account kind, whose account ("client",
    "member" or None for the platform's) and the amount as a signed sum of the call's
    `<name>_cents` values ("gross-clawback")."""

    side: int
    kind: AccountKind
    party: str | None
    terms: tuple[tuple[int, str], ...]

    def value(self, amounts: Mapping[str, int]) -> int:
        return sum(sign * amounts[name] for sign, name in self.terms)


LEG = re.compile(r"(Dr|Cr) (\w+)(?:\((client|member)\))? ([\w+-]+)")


def parse_legs(text: str) -> tuple[LegRule, ...]:
    """ "Dr cash amount / Cr client_receivable(client) amount" → its LegRules (the
    notation of the module docstring; a bad recipe fails at import)."""
    rules = []
    for part in text.split(" / "):
        match = LEG.fullmatch(part.strip())
        if match is None:
            raise ValueError(f"recipe leg {part!r}: 'Dr|Cr kind[(party)] amount[+amount...]'")
        side, kind, party, expr = match.groups()
        terms = tuple(
            (-1 if sign == "-" else 1, f"{name}_cents")
            for sign, name in re.findall(r"([+-]?)(\w+)", expr)
        )
        rules.append(LegRule(DR if side == "Dr" else CR, AccountKind(kind), party, terms))
    return tuple(rules)


@dataclass(frozen=True)
class Recipe:
    """A posting: its name, ledger kind, legs (`parse_legs`, in posting order), memo (a
    str.format template over the call's values), source key (a template naming the
    event id), and the amounts that may be zero (any other must be positive)."""

    name: str
    kind: str
    legs_text: str
    memo: str
    source_key: str
    may_be_zero: frozenset[str] = frozenset()
    # Derived once, in __post_init__, so a bad recipe fails at import.
    legs: tuple[LegRule, ...] = field(init=False)
    amounts: tuple[str, ...] = field(init=False)
    key_name: str = field(init=False)

    def __post_init__(self) -> None:
        legs = parse_legs(self.legs_text)
        names = tuple(dict.fromkeys(name for rule in legs for _, name in rule.terms))
        fields = [f for _, f, _, _ in string.Formatter().parse(self.source_key) if f]
        if len(fields) != 1 or not set(self.may_be_zero) <= set(names):
            raise ValueError(f"recipe {self.name}: one event id in the key, known amounts")
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "amounts", names)
        object.__setattr__(self, "key_name", fields[0])


def post_recipe(recipe: Recipe, *, currency: str, by: Any, **values: Any) -> LedgerTransaction:
    """Post `recipe` with `values` (its amounts, event id, parties and memo fields).

    Every leg's account is opened, in leg order, before zero legs are dropped: a VAT or
    clawback account exists once a recipe that names it ran, whatever the amounts."""
    amounts = {
        n: _amount(n, values[n], positive=n not in recipe.may_be_zero) for n in recipe.amounts
    }
    currency = validate_currency(currency)
    key_name = recipe.key_name
    source_key = recipe.source_key.format(**{key_name: _key(key_name, values[key_name])})
    legs = []
    for rule in recipe.legs:
        parties = {rule.party: values[rule.party]} if rule.party else {}
        account = ledger.account_for(rule.kind, currency=currency, by=by, **parties)
        legs.append(ledger.LegSpec(account, rule.side * rule.value(amounts)))
    return ledger.post_transaction(
        kind=recipe.kind,
        legs=[leg for leg in legs if leg.amount != 0],
        memo=recipe.memo.format(**values),
        source_key=source_key,
        by=by,
    )


ZERO_VAT = frozenset({"vat_cents"})
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        # A placement-fee invoice was issued: the client owes net + VAT; the fee is deferred
        # until the guarantee has passed and the client has paid.
        Recipe("placement_invoice_issued", "placement_invoice.issued",
               "Dr client_receivable(client) net+vat / Cr deferred_fee net / Cr vat_payable vat",
               "invoice {invoice_id}{placement_note}", "invoice:{invoice_id}:issued", ZERO_VAT),
        # Money from the client arrived (bank or PSP).
        Recipe("client_paid", "client.paid", "Dr cash amount / Cr client_receivable(client) amount",
               "payment {payment_key} from client {client.pk}", "client_payment:{payment_key}"),
        # The guarantee passed and the client paid (or staff released it early): the split
        # stored on the placement. Zero parts are left to the ledger's own checks.
        Recipe("fee_earned", "placement.fee_earned",
               "Dr deferred_fee fee / Cr platform_revenue platform"
               " / Cr member_payable(member) member",
               "placement {placement.pk} earned", "placement:{placement_id}:earned",
               frozenset({"fee_cents", "platform_cents", "member_cents"})),
        # The member was paid a commission that is no longer earned: what they owe moves from
        # their (now debit) payable to a clawback receivable, netted from later payouts.
        Recipe("clawback_opened", "commission.clawback",
               "Dr clawback_receivable(member) amount / Cr member_payable(member) amount",
               "clawback of placement {placement.pk}", "placement:{placement_id}:clawback"),
        # The member paid back a clawback directly.
        Recipe("clawback_repaid", "clawback.repaid",
               "Dr cash amount / Cr clawback_receivable(member) amount",
               "clawback repaid by member {member.pk}", "clawback_payment:{payment_key}"),
        # A payout left: the gross commissions, less what is netted against clawbacks in cash.
        Recipe("payout_sent", "payout.sent",
               "Dr member_payable(member) gross / Cr clawback_receivable(member) clawback"
               " / Cr cash gross-clawback",
               "payout {payout_key} to member {member.pk}", "payout:{payout_key}:sent",
               frozenset({"clawback_cents"})),
        # Credit notes: the issuing entry in reverse.
        Recipe("placement_credit_note", "placement_credit_note.issued",
               "Dr deferred_fee net / Dr vat_payable vat / Cr client_receivable(client) net+vat",
               "credit note {credit_note_id}", "credit_note:{credit_note_id}:issued", ZERO_VAT),
        Recipe("membership_credit_note", "membership_credit_note.issued",
               "Dr membership_revenue net / Dr vat_payable vat"
               " / Cr member_receivable(member) net+vat",
               "credit note {credit_note_id}", "credit_note:{credit_note_id}:issued", ZERO_VAT),
        # A client's credit balance (paid, then credited) becomes a refund owed to them;
        # paid when it left the bank.
        Recipe("refund_due", "refund.due",
               "Dr client_receivable(client) amount / Cr refunds amount",
               "refund {refund_key} to client {client.pk}", "refund:{refund_key}:due"),
        Recipe("refund_paid", "refund.paid", "Dr refunds amount / Cr cash amount",
               "refund {refund_key} paid", "refund:{refund_key}:paid"),
        # A member's credit balance (a membership invoice paid, then credited) becomes a
        # refund owed to them. Their own source-key namespace, so a member's and a client's
        # refund with the same key never collide.
        Recipe("member_refund_due", "member_refund.due",
               "Dr member_receivable(member) amount / Cr refunds amount",
               "refund {refund_key} to member {member.pk}", "member_refund:{refund_key}:due"),
        Recipe("member_refund_paid", "member_refund.paid", "Dr refunds amount / Cr cash amount",
               "member refund {refund_key} paid", "member_refund:{refund_key}:paid"),
        # A membership invoice (€177/year by default) was issued; the member paid it.
        Recipe("membership_invoice_issued", "membership_invoice.issued",
               "Dr member_receivable(member) net+vat / Cr membership_revenue net"
               " / Cr vat_payable vat",
               "membership invoice {invoice_id}", "invoice:{invoice_id}:issued", ZERO_VAT),
        Recipe("membership_paid", "membership.paid",
               "Dr cash amount / Cr member_receivable(member) amount",
               "membership payment {payment_key}", "member_payment:{payment_key}"),
    )
}  # fmt: skip


def _poster(name: str) -> Callable[..., LedgerTransaction]:
    """The public function of a table recipe: keyword-only, its parameters the recipe's
    event id, parties, amounts, currency and `by` (what `inspect.signature` shows)."""
    recipe = RECIPES[name]
    parties = [r.party for r in recipe.legs if r.party]
    params = [recipe.key_name, *dict.fromkeys(parties), *recipe.amounts, "currency", "by"]

    def post(**values: Any) -> LedgerTransaction:
        wanted = set(params)
        if set(values) != wanted:
            missing, extra = sorted(wanted - set(values)), sorted(set(values) - wanted)
            raise TypeError(f"{name}(): missing {missing}, unexpected {extra}")
        return post_recipe(recipe, **values)

    post.__name__ = post.__qualname__ = name
    post.__doc__ = f"Post {recipe.kind}: {recipe.legs_text} (flows.RECIPES)."
    post.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for p in params]
    )
    return post


client_paid = _poster("client_paid")
clawback_repaid = _poster("clawback_repaid")
refund_due = _poster("refund_due")
refund_paid = _poster("refund_paid")
member_refund_due = _poster("member_refund_due")
member_refund_paid = _poster("member_refund_paid")
membership_invoice_issued = _poster("membership_invoice_issued")
membership_paid = _poster("membership_paid")


# -- recipes whose values are derived -------------------------------------------------------


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
    note = f" for placement {placement_id}" if placement_id else ""
    return post_recipe(
        RECIPES["placement_invoice_issued"], invoice_id=invoice_id, client=client,
        net_cents=net_cents, vat_cents=vat_cents, currency=currency, placement_note=note, by=by,
    )  # fmt: skip


def fee_earned(*, placement: Any, by: Any) -> LedgerTransaction:
    """The fee of `placement` is earned (guarantee passed and client paid, or released
    early by staff): the deferred fee becomes platform revenue and the member's payable,
    split as stored on the placement (member_commission_cents + platform_cents == fee)."""
    return post_recipe(
        RECIPES["fee_earned"], placement=placement, placement_id=placement.pk,
        member=placement.member, currency=placement.currency,
        fee_cents=int(placement.fee_cents), platform_cents=int(placement.platform_cents),
        member_cents=int(placement.member_commission_cents), by=by,
    )  # fmt: skip


def fee_earned_key(placement: Any) -> str:
    return RECIPES["fee_earned"].source_key.format(placement_id=placement.pk)


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
    return post_recipe(
        RECIPES["clawback_opened"], placement=placement, placement_id=placement.pk,
        member=placement.member, amount_cents=amount_cents, currency=currency, by=by,
    )  # fmt: skip


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
    recipe = RECIPES["placement_credit_note" if client is not None else "membership_credit_note"]
    return post_recipe(
        recipe, credit_note_id=credit_note_id, client=client, member=member,
        net_cents=net_cents, vat_cents=vat_cents, currency=currency, by=by,
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
    if _amount("clawback_cents", clawback_cents, positive=False) > gross:
        raise InvalidInput(["clawback_cents: cannot net more than the payout's gross"])
    return post_recipe(
        RECIPES["payout_sent"], payout_key=payout_key, member=member, gross_cents=gross,
        clawback_cents=clawback_cents, currency=currency, by=by,
    )  # fmt: skip
