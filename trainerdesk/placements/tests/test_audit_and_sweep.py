"""Audit events of the pipeline (who, what), the daily sweep command, and that no
outcome moves a submission by itself."""

import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib import audit
from trainerdesk.placements import services
from trainerdesk.placements.models import Placement, Submission


def test_each_step_records_its_action_and_actor(placed, member, client_user):
    sub = placed()
    events = list(AuditEvent.objects.filter(action__startswith="placements.").order_by("seq"))
    actions = [e.action for e in events]
    assert actions == [
        "placements.submission.create",
        "placements.ownership.create",
        "placements.submission.move",  # client review
        "placements.submission.move",  # offer (made with the offer)
        "placements.offer.create",
        "placements.offer.answer",
        "placements.submission.move",  # placed
        "placements.placement.create",
    ]
    assert events[0].actor_id == member.pk and events[-1].actor_id == client_user.pk
    assert events[-1].changes["fee_cents"] == sub.placement.fee_cents
    assert audit.verify("global").broken is None


def test_sweep_command_moves_placements_and_records_the_job(placed, client_user):
    p = placed().placement
    services.start_placement(placement=p, by=client_user)
    out = io.StringIO()
    with audit.acting_as("cli:sweep_placements"):
        call_command("sweep_placements", stdout=out)
    assert "1 placements entered their guarantee, 0 earned" in out.getvalue()
    later = (timezone.localdate() + datetime.timedelta(days=91)).isoformat()
    with audit.acting_as("cli:sweep_placements"):
        call_command("sweep_placements", "--today", later, stdout=out)
    assert Placement.objects.get().status == "earned"
    event = AuditEvent.objects.filter(action="placements.placement.sweep").last()
    assert event.actor_system == "cli:sweep_placements" and event.changes["count"] == 1


def test_a_bad_interview_outcome_rejects_nobody(submit, consent, client_user):
    sub = submit()
    when = timezone.now() + datetime.timedelta(days=1)
    interview = services.schedule_interview(submission=sub, scheduled_at=when, by=client_user)
    services.record_interview_feedback(
        interview=interview, feedback={}, outcome="do_not_advance", by=client_user
    )
    # A person decides: the submission waits in interview until someone moves it.
    assert Submission.objects.get().stage == "interview"
