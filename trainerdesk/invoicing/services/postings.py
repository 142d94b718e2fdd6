"""Every ledger posting invoicing makes goes through this module, so wiring invoicing to
the ledger (app `billing`) is one place. Each function runs inside the calling service's
transaction, after the invoice's own change: a posting that fails rolls the invoice
change back with it.

Not wired yet: billing's ledger API had not landed when this was written, so each
function is a no-op that returns None. The flows to post (issue 11, "Ledger"):
- `invoice_issued`: Dr client receivable / Cr deferred placement fee (+ Cr VAT payable)
  for a placement fee; Dr member receivable / Cr membership revenue (+ VAT) for a
  membership.
- `payment_received`: Dr cash / Cr receivable; for a placement fee also "the client has
  paid" (one of the two conditions for the member's commission becoming payable).
- `credit_note_issued`: the reversing entries of the credited invoice.
"""

from __future__ import annotations

from typing import Any


def invoice_issued(*, invoice: Any, by: Any) -> None:
    return None


def payment_received(*, invoice: Any, payment: Any, fully_paid: bool, by: Any) -> None:
    return None


def credit_note_issued(*, credit_note: Any, original: Any, by: Any) -> None:
    return None
