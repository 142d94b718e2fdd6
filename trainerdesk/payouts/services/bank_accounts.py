"""A member's bank account: added (checked with schwifty), verified by staff."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError
from trainerdesk.network.models import Member
from trainerdesk.payouts import sepa
from trainerdesk.payouts.models import BankAccount


def set_bank_account(
    *, member: Member, holder_name: str, iban: str, bic: str = "", by: Any
) -> BankAccount:
    """The member's new current account (the previous one stops being current). Unverified
    until staff verify it: no payout goes to an unverified account. Errors name the field
    (holder_name, iban, bic); nothing is written then."""
    account = sepa.check_account(name=holder_name, iban=iban, bic=bic)
    with transaction.atomic():
        # The member row is the lock that orders concurrent changes of their account.
        member = Member.objects.select_for_update().get(pk=member.pk)
        previous = BankAccount.objects.filter(member=member, is_current=True).first()
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        row = BankAccount.objects.create(
            member=member,
            holder_name=account.name,
            iban=account.iban,
            bic=account.bic,
            created_by=by if getattr(by, "pk", None) else None,
        )
        audit.record(
            action="payouts.bankaccount.create",
            obj=row,
            changes={
                "member": member.pk,
                "iban_last4": account.iban[-4:],
                "bic": account.bic,
                "replaces": previous.pk if previous else None,
            },
            by=by,
        )
    return row


def verify_bank_account(*, account: BankAccount, by: Any) -> BankAccount:
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().get(pk=account.pk)
        if not account.is_current:
            raise ConflictError(f"bank account {account.pk}: replaced by a newer one")
        if account.verified:
            return account
        account.verified = True
        account.verified_at = timezone.now()
        account.verified_by = by
        account.save(update_fields=["verified", "verified_at", "verified_by"])
        audit.record(action="payouts.bankaccount.verify", obj=account, by=by)
    return account
