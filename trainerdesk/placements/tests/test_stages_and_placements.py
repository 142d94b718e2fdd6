"""Stage moves and who may make them; interviews, offers; the placement's fee, split,
start, guarantee sweep and fall-off; the funnel on a hand-built history."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.models import MembershipPlan, Opening
from trainerdesk.placements import services
from trainerdesk.placements.models import Placement, StageChange, Submission


def test_member_moves_only_submit_and_withdraw(submit, consent, member):
    sub = submit()
    with pytest.raises(PermissionDenied):
        services.move_submission(submission=sub, to_stage="client_review", by=member)
    services.move_submission(submission=sub, to_stage="withdrawn", by=member, reason="took a job")
    sub.refresh_from_db()
    assert sub.stage == "withdrawn" and sub.closed_at is not None
    change = StageChange.objects.last()
    assert (change.from_stage, change.to_stage, change.by, change.reason) == (
        "submitted", "withdrawn", member, "took a job",
    )  # fmt: skip


def test_client_moves_but_cannot_withdraw(submit, consent, client_user):
    sub = submit()
    services.move_submission(submission=sub, to_stage="client_review", by=client_user)
    with pytest.raises(PermissionDenied):
        services.move_submission(submission=sub, to_stage="withdrawn", by=client_user)
    services.move_submission(submission=sub, to_stage="rejected", by=client_user)
    assert Submission.objects.get().stage == "rejected"


def test_other_client_and_other_member_may_not_move(
    submit, consent, other_client_user, other_member
):
    sub = submit()
    for who, stage in ((other_client_user, "client_review"), (other_member, "withdrawn")):
        with pytest.raises(PermissionDenied):
            services.move_submission(submission=sub, to_stage=stage, by=who)


def test_moves_outside_the_graph_are_refused(submit, consent, staff, client_user):
    sub = submit()
    with pytest.raises(ConflictError, match="cannot move to placed"):
        services.move_submission(submission=sub, to_stage="placed", by=staff)
    with pytest.raises(InvalidInput, match="to_stage"):
        services.move_submission(submission=sub, to_stage="hired", by=staff)
    services.move_submission(submission=sub, to_stage="rejected", by=client_user)
    with pytest.raises(ConflictError):
        services.move_submission(submission=sub, to_stage="client_review", by=staff)


def test_staff_may_make_any_move(submit, consent, staff):
    sub = submit()
    services.move_submission(submission=sub, to_stage="client_review", by=staff)
    services.move_submission(submission=sub, to_stage="withdrawn", by=staff, reason="asked")
    assert Submission.objects.get().stage == "withdrawn"


def test_interview_with_feedback_per_requirement(submit, consent, client_user, opening):
    sub = submit()
    when = timezone.now() + datetime.timedelta(days=2)
    interview = services.schedule_interview(submission=sub, scheduled_at=when, by=client_user)
    sub.refresh_from_db()
    assert sub.stage == "interview"
    lang, acc = opening.requirements.order_by("id")
    services.record_interview_feedback(
        interview=interview,
        feedback={str(lang.pk): {"rating": "meets", "note": "fluent"},
                  acc.pk: {"rating": "partly"}},
        outcome="advance", by=client_user,
    )  # fmt: skip
    interview.refresh_from_db()
    assert interview.feedback == {
        str(lang.pk): {"rating": "meets", "note": "fluent"},
        str(acc.pk): {"rating": "partly", "note": ""},
    }
    # Feedback moves no stage.
    assert Submission.objects.get().stage == "interview"
    with pytest.raises(InvalidInput, match="feedback.999999: not a requirement of this role"):
        services.record_interview_feedback(
            interview=interview, feedback={"999999": {"rating": "meets"}}, outcome="hold",
            by=client_user,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="rating"):
        services.record_interview_feedback(
            interview=interview, feedback={lang.pk: {"rating": 5}}, outcome="hold",
            by=client_user,
        )  # fmt: skip
    naive = datetime.datetime(2027, 1, 1)  # noqa: DTZ001 - the refused input
    with pytest.raises(InvalidInput, match="scheduled_at"):
        services.schedule_interview(submission=sub, scheduled_at=naive, by=client_user)


def test_a_declined_offer_rejects_nobody(submit, consent, client_user, member):
    sub = submit()
    services.move_submission(submission=sub, to_stage="client_review", by=client_user)
    offer = services.make_offer(
        submission=sub, pay_cents=3000, currency="EUR", unit="hour",
        start_date=timezone.localdate(), by=client_user,
    )  # fmt: skip
    services.answer_offer(offer=offer, accepted=False, by=member)
    assert Submission.objects.get().stage == "offer"
    with pytest.raises(InvalidInput, match="accepted offer"):
        services.move_submission(submission=sub, to_stage="placed", by=client_user)
    assert not Placement.objects.exists() and Submission.objects.get().stage == "offer"


def test_offer_input_errors_name_fields(submit, consent, client_user):
    sub = submit()
    with pytest.raises(InvalidInput) as exc:
        services.make_offer(
            submission=sub, pay_cents=-1, currency="euro", unit="week",
            start_date=timezone.localdate(), by=client_user,
        )  # fmt: skip
    assert {e.split(":")[0] for e in exc.value.errors} == {"pay_cents", "currency", "unit"}


def test_percent_fee_on_annualised_pay_split_50_50(placed, member):
    sub = placed()
    p = sub.placement
    # 30.00 EUR/h × 20 h × 52 weeks = 31,200.00 EUR; 20 % = 6,240.00 EUR.
    assert p.fee_basis_cents == 3000 * 20 * 52
    assert (p.fee_type, p.fee_cents, p.currency) == ("percent", 624000, "EUR")
    assert (p.member_commission_cents, p.platform_cents) == (312000, 312000)
    assert p.commission_basis_points == 5000 and p.member == member.network_member
    assert p.guarantee_ends_on == p.start_date + datetime.timedelta(days=90)
    assert p.status == "pending_start"
    assert AuditEvent.objects.filter(action="placements.placement.create").exists()


def test_flat_fee_and_odd_cent_split_follow_the_plan(placed, opening):
    Opening.objects.filter(pk=opening.pk).update(fee_type="flat", fee_flat_cents=100001)
    MembershipPlan.objects.filter(code="standard").update(commission_basis_points=3333)
    p = placed().placement
    assert (p.fee_type, p.fee_cents) == ("flat", 100001)
    assert p.member_commission_cents + p.platform_cents == 100001
    assert p.member_commission_cents == 33330  # 100001 × 0.3333 = 33330.33


def test_role_without_fee_terms_is_refused_and_nothing_is_placed(placed, opening):
    Opening.objects.filter(pk=opening.pk).update(fee_type="", fee_basis_points=None)
    with pytest.raises(InvalidInput, match="has no fee terms"):
        placed()
    sub = Submission.objects.get()
    assert sub.stage == "offer" and not Placement.objects.exists()


def test_start_sweep_and_earn(placed, client_user, member):
    p = placed().placement
    with pytest.raises(PermissionDenied):
        services.start_placement(placement=p, by=member)
    today = timezone.localdate()
    services.start_placement(placement=p, on=today, by=client_user)
    p.refresh_from_db()
    assert p.status == "started" and p.guarantee_ends_on == today + datetime.timedelta(days=90)
    assert services.sweep_placements(today=today) == {"in_guarantee": 1, "earned": 0}
    assert services.sweep_placements(today=p.guarantee_ends_on) == {"in_guarantee": 0, "earned": 0}
    after = p.guarantee_ends_on + datetime.timedelta(days=1)
    assert services.sweep_placements(today=after) == {"in_guarantee": 0, "earned": 1}
    p.refresh_from_db()
    assert p.status == "earned" and p.earned_on == after
    with pytest.raises(ConflictError):
        services.record_fall_off(placement=p, on=today, by=client_user, reason="left")


def test_fall_off_within_guarantee(placed, client_user):
    p = placed().placement
    services.start_placement(placement=p, by=client_user)
    with pytest.raises(InvalidInput, match="reason"):
        services.record_fall_off(placement=p, on=timezone.localdate(), by=client_user, reason="")
    services.record_fall_off(
        placement=p, on=timezone.localdate(), by=client_user, reason="left after a week"
    )
    p.refresh_from_db()
    assert p.status == "fell_off" and p.fell_off_within_guarantee() is True
    event = AuditEvent.objects.get(action="placements.placement.fall_off")
    assert event.changes["within_guarantee"] is True


def test_expected_commissions(placed, member):
    placed()
    [row] = services.expected_commissions(member.network_member)
    assert (row.currency, row.placed_cents, row.offers_cents) == ("EUR", 312000, 0)


def test_funnel_on_a_hand_built_history(submit, consent, client_user, member):
    from trainerdesk.placements.models import StageChange

    sub = submit()
    services.move_submission(submission=sub, to_stage="client_review", by=client_user)
    services.move_submission(submission=sub, to_stage="rejected", by=client_user)
    # Hand-set times: submitted at t0, review at t0+1h, rejected at t0+3h.
    t0 = timezone.now() - datetime.timedelta(days=1)
    for change, hours in zip(StageChange.objects.order_by("id"), (0, 1, 3), strict=True):
        StageChange.objects.filter(pk=change.pk).update(at=t0 + datetime.timedelta(hours=hours))
    rows = {r.stage: r for r in services.funnel()}
    # Submitted directly: it passed sourced (the funnel counts a stage or beyond).
    assert rows["sourced"].reached == 1 and rows["submitted"].reached == 1
    assert rows["client_review"].reached == 1 and rows["interview"].reached == 0
    assert rows["submitted"].conversion == 1.0 and rows["client_review"].conversion == 0.0
    assert rows["submitted"].median_seconds == 3600
    assert rows["client_review"].median_seconds == 7200
    assert rows["placed"].conversion is None and rows["offer"].conversion is None


def test_the_role_is_filled_once_its_positions_are_placed(placed, opening):
    # One position: the first placement fills the role, through network's audited move.
    assert opening.positions == 1
    placed()
    opening.refresh_from_db()
    assert opening.status == "filled"
    event = AuditEvent.objects.filter(action="network.opening.transition").latest("pk")
    assert event.changes["status"] == {"before": "open", "after": "filled"}
