"""The billing services: the ledger (`ledger`), the money-flow recipes (`flows`) and
commissions (`commissions`). Import from here (`services.post_transaction`) or the
module (`services.flows.client_paid`)."""

from trainerdesk.billing.services import flows
from trainerdesk.billing.services.commissions import (
    mark_commission_in_payout,
    mark_commission_paid,
    open_commission,
    record_client_paid,
    record_commission_fall_off,
    release_commission_early,
    release_commission_from_payout,
    reopen_commission_after_return,
    sweep_commissions,
)
from trainerdesk.billing.services.flows import PayoutPlan, plan_payout
from trainerdesk.billing.services.ledger import (
    LegSpec,
    TrialBalance,
    TrialRow,
    account_for,
    balance,
    balances,
    credit,
    debit,
    post_transaction,
    reverse_transaction,
    trial_balance,
)

__all__ = [
    "LegSpec",
    "PayoutPlan",
    "TrialBalance",
    "TrialRow",
    "account_for",
    "balance",
    "balances",
    "credit",
    "debit",
    "flows",
    "mark_commission_in_payout",
    "mark_commission_paid",
    "open_commission",
    "plan_payout",
    "post_transaction",
    "record_client_paid",
    "record_commission_fall_off",
    "release_commission_early",
    "release_commission_from_payout",
    "reopen_commission_after_return",
    "reverse_transaction",
    "sweep_commissions",
    "trial_balance",
]
