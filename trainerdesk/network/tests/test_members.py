import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from trainerdesk.accounts.services import create_user
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services
from trainerdesk.network.models import Member, Membership


@pytest.fixture
def applicant(db):
    return create_user(username="applicant", password="x", check_password=False)


def _apply(user, **extra):
    values = {"display_name": "Ann", "country": "at", "vat_status": "not_registered"} | extra
    return services.apply_for_membership(user=user, **values, by=user)


def test_apply_then_staff_approve_opens_a_pending_period(applicant, staff, events):
    member = _apply(applicant, application={"score": 7})
    assert (member.status, member.country, member.application) == ("pending", "AT", {"score": 7})
    services.decide_member(member=member, approve=True, by=staff)
    period = member.memberships.get()
    assert (period.status, period.price_cents, period.currency) == ("pending", 17700, "EUR")
    assert events() == [
        "network.member.apply",
        "network.member.approve",
        "network.membership.create",
    ]


def test_apply_refusals(applicant, staff, member):
    with pytest.raises(InvalidInput, match="vat_id: required"):
        _apply(applicant, vat_status="registered")
    with pytest.raises(InvalidInput, match="vat_id"):
        _apply(applicant, vat_status="registered", vat_id="ATU00000000")
    with pytest.raises(ConflictError):
        services.apply_for_membership(
            user=applicant, display_name="x", country="AT", vat_status="not_registered", by=staff
        )
    _apply(applicant)
    with pytest.raises(ConflictError, match="already applied"):
        _apply(applicant)
    assert Member.objects.filter(user=applicant).count() == 1


def test_only_staff_decide(applicant, member, events):
    pending = _apply(applicant)
    with pytest.raises(services.NotAllowed):
        services.decide_member(member=pending, approve=True, by=member)
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_reject_and_decide_once(applicant, staff):
    pending = _apply(applicant)
    services.decide_member(member=pending, approve=False, reason="no", by=staff)
    assert not pending.memberships.exists()
    with pytest.raises(ConflictError, match="already decided"):
        services.decide_member(member=pending, approve=True, by=staff)


def _approved(applicant, staff):
    return services.decide_member(member=_apply(applicant), approve=True, by=staff)


def test_activation_renewal_and_continuity(applicant, staff, events, sign_contract):
    member = _approved(applicant, staff)
    sign_contract(member=member)  # the member agreement (contracts' gate)
    assert not services.member_can_submit(member)
    assert "waiting for payment" in services.member_can_submit(member).reason
    today = datetime.date(2026, 1, 10)
    first = services.activate_membership(membership=member.memberships.get(), by=staff, today=today)
    assert (first.period_start, first.period_end) == (today, datetime.date(2027, 1, 10))
    assert services.member_can_submit(member, today=today)
    renewal = services.renew_membership(member=member, by=applicant)
    with pytest.raises(ConflictError, match="already waiting"):
        services.renew_membership(member=member, by=applicant)
    second = services.activate_membership(
        membership=renewal, by=staff, today=datetime.date(2026, 12, 1)
    )
    assert (second.period_start, second.period_end) == (
        first.period_end,
        datetime.date(2028, 1, 10),
    )
    assert "network.membership.activate" in events()
    with pytest.raises(services.NotAllowed):
        services.activate_membership(membership=second, by=applicant)


def test_cancel(member, other_member, staff):
    period = member.network_member.memberships.get()
    with pytest.raises(ConflictError):
        services.cancel_membership(membership=period, by=other_member)
    services.cancel_membership(membership=period, reason="moving on", by=member)
    period.refresh_from_db()
    assert period.status == "cancelled" and period.cancelled_at
    check = services.member_can_submit(member.network_member)
    assert not check and "cancelled" in check.reason
    with pytest.raises(ConflictError):
        services.cancel_membership(membership=period, by=staff)


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def test_sweep_active_to_grace_to_expired_idempotent(member, events):
    period = member.network_member.memberships.get()
    end = period.period_end
    assert services.sweep_memberships(_at(end)) == services.SweepResult(0, 0)
    assert services.sweep_memberships(_at(end + datetime.timedelta(days=1))).to_grace == 1
    assert services.sweep_memberships(
        _at(end + datetime.timedelta(days=1))
    ) == services.SweepResult(0, 0)
    period.refresh_from_db()
    assert period.status == "grace"
    lapsed = services.member_can_submit(member.network_member)
    assert not lapsed and "renew" in lapsed.reason
    assert services.sweep_memberships(
        _at(end + datetime.timedelta(days=30))
    ) == services.SweepResult(0, 0)
    assert services.sweep_memberships(_at(end + datetime.timedelta(days=31))).to_expired == 1
    assert services.sweep_memberships(
        _at(end + datetime.timedelta(days=32))
    ) == services.SweepResult(0, 0)
    period.refresh_from_db()
    assert period.status == "expired"
    assert events() == ["network.membership.grace", "network.membership.expire"]
    assert not services.member_can_submit(member.network_member)
    with pytest.raises(ConflictError, match="lapsed membership"):
        services.require_member_can_submit(member.network_member)


def test_sweep_expires_a_period_followed_by_a_paid_one(member, staff):
    m = member.network_member
    first = m.memberships.get()
    renewal = services.renew_membership(member=m, by=member)
    services.activate_membership(membership=renewal, by=staff)
    services.sweep_memberships(_at(first.period_end + datetime.timedelta(days=1)))
    first.refresh_from_db()
    assert first.status == "expired"
    assert services.member_can_submit(m, today=first.period_end + datetime.timedelta(days=1))


def test_grace_member_renewing_starts_today(member, staff):
    m = member.network_member
    period = m.memberships.get()
    Membership.objects.filter(pk=period.pk).update(status="grace")
    renewal = services.renew_membership(member=m, by=member)
    paid = services.activate_membership(membership=renewal, by=staff)
    period.refresh_from_db()
    assert period.status == "expired" and paid.period_start == timezone.localdate()


def test_sweep_command(member, capsys):
    Membership.objects.update(period_end=timezone.localdate() - datetime.timedelta(days=2))
    call_command("network_sweep")
    assert "1 to grace" in capsys.readouterr().out
    assert Membership.objects.get().status == "grace"
