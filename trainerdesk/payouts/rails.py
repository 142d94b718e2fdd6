"""The payment rail a payout goes through: an interface and its one real adapter, the SEPA
credit transfer file (pain.001) staff hand to the bank.

Contract of `PaymentRail.send` (what `services/attempts.py` relies on to never pay twice):
- it returns a `Dispatch` with one `RailOutcome` per transfer (by EndToEndId):
  `accepted` (handed over; the bank statement will say paid or returned), `paid` (the rail
  confirms settlement), or `rejected` (refused, nothing was sent: a retry with the same key
  is safe);
- it raises `RailRejected` when nothing at all was sent (e.g. the file cannot be built);
- anything else it raises (a timeout, a dropped connection) means the outcome is unknown:
  the payouts become ambiguous and go to reconciliation, never to a blind retry.
A rail must treat the EndToEndId as its idempotency key where it can (a bank API would
pass it as its Idempotency-Key); the SEPA file carries it as EndToEndId and the file's
stable MsgId makes a bank refuse the same file twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.payouts import sepa

ACCEPTED = "accepted"
PAID = "paid"
REJECTED = "rejected"


class RailRejected(Exception):
    """Nothing was sent; the message says why."""


class RailTimeout(Exception):
    """The rail did not answer: the outcome is unknown."""


@dataclass(frozen=True)
class RailOutcome:
    status: str
    detail: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Dispatch:
    outcomes: dict[str, RailOutcome]
    file: bytes = b""
    file_name: str = ""
    content_type: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class PaymentRail(Protocol):
    name: str
    # The currencies it can pay in.
    currencies: tuple[str, ...]

    def send(
        self,
        *,
        reference: str,
        transfers: Sequence[sepa.Transfer],
        created_at: datetime.datetime,
        execution_date: datetime.date,
    ) -> Dispatch: ...


class SepaFileRail:
    """The bank file: building it is the attempt; staff download it and upload it to the
    bank, and the camt.053 statement tells what happened to each transfer."""

    name = "sepa_file"
    currencies = ("EUR",)

    def send(
        self,
        *,
        reference: str,
        transfers: Sequence[sepa.Transfer],
        created_at: datetime.datetime,
        execution_date: datetime.date,
    ) -> Dispatch:
        try:
            xml = sepa.build_pain001(
                debtor=sepa.debtor_account(),
                transfers=transfers,
                message_id=reference,
                created_at=created_at,
                execution_date=execution_date,
            )
        except InvalidInput as exc:
            raise RailRejected(str(exc)) from exc
        return Dispatch(
            outcomes={t.end_to_end_id: RailOutcome(ACCEPTED) for t in transfers},
            file=xml,
            file_name=f"{reference}.xml",
            content_type="application/xml",
        )


def get_rail() -> PaymentRail:
    """The rail in settings.PAYOUT_RAIL (tests put a fake one there)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    rail: PaymentRail = import_string(settings.PAYOUT_RAIL)()
    return rail
