"""Retention: the dry run reports and writes nothing; the real run anonymises exactly what
the dry run listed; open obligations hold a person; talent-pool consent keeps a profile up
to two years and its expiry is announced for re-consent; country rules win."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.network.models import Candidate, Consent
from trainerdesk.privacy import services
from trainerdesk.privacy.models import RetentionRule
from trainerdesk.tests.privacy.conftest import add_zelda
from trainerdesk.tests.privacy.dump import dump_database

TODAY = timezone.localdate()


def _age(candidate, days):
    """Move everything the candidate did `days` into the past."""
    then = timezone.now() - datetime.timedelta(days=days)
    Candidate.objects.filter(pk=candidate.pk).update(created_at=then)
    Consent.objects.filter(candidate=candidate).update(granted_at=then)


@pytest.fixture
def stale(member):
    """Added 200 days ago with no talent-pool consent: due after 183 days."""
    person = add_zelda(member)
    Consent.objects.filter(candidate=person).update(withdrawn_at=timezone.now())
    _age(person, 200)
    return person


def test_dry_run_reports_and_writes_nothing_then_the_run_erases_it(stale, staff):
    before = dump_database()
    report = services.run_retention(today=TODAY, dry_run=True)
    assert [e["subject"] for e in report["erased"]] == [f"candidate #{stale.pk}"]
    assert report["erased"][0]["category"] == "rejected_candidate"
    assert report["erased"][0]["counts"]["network.candidate"] == 1
    assert dump_database() == before

    done = services.run_retention(today=TODAY, dry_run=False, by=staff)
    assert [e["subject"] for e in done["erased"]] == [f"candidate #{stale.pk}"]
    stale.refresh_from_db()
    assert stale.anonymised_at is not None and stale.email is None
    assert AuditEvent.objects.filter(action="privacy.retention.run").count() == 1
    assert AuditEvent.objects.filter(action="privacy.subject.erase").count() == 1
    # Anonymised people are not due again.
    assert services.run_retention(today=TODAY, dry_run=True)["erased"] == []


def test_not_due_before_its_time(member):
    person = add_zelda(member)
    Consent.objects.filter(candidate=person).update(withdrawn_at=timezone.now())
    _age(person, 100)
    assert services.run_retention(today=TODAY, dry_run=True)["erased"] == []


def test_country_rule_wins_over_the_default(stale, staff):
    services.set_rule(country="AT", category="rejected_candidate", days=365, by=staff)
    assert services.run_retention(today=TODAY, dry_run=True)["erased"] == []
    services.set_rule(country="DE", category="rejected_candidate", days=30, by=staff)
    assert services.run_retention(today=TODAY, dry_run=True)["erased"] == []  # zelda is AT


def test_talent_pool_consent_keeps_up_to_two_years_and_prompts_re_consent(member, staff):
    person = add_zelda(member)  # with talent-pool ("profile") consent
    _age(person, 200)
    report = services.run_retention(today=TODAY, dry_run=True)
    assert report["erased"] == []
    _age(person, 710)  # 20 days before the two years end
    report = services.run_retention(today=TODAY, dry_run=True)
    assert report["erased"] == []
    assert [r["subject"] for r in report["reconsent"]] == [f"candidate #{person.pk}"]
    _age(person, 731)
    assert [e["category"] for e in services.run_retention(today=TODAY, dry_run=True)["erased"]] == [
        "talent_pool"
    ]


def test_talent_pool_rule_is_capped_at_two_years(staff):
    from trainerdesk.lib.errors import InvalidInput

    with pytest.raises(InvalidInput, match="730"):
        services.set_rule(country="", category="talent_pool", days=1000, by=staff)
    RetentionRule.objects.filter(category="talent_pool").update(days=5000)
    assert services.days_for_rules()("talent_pool", "AT") == 730


def test_a_live_submission_keeps_the_profile(stale, member, client_user, role):
    from trainerdesk.placements import services as pipeline

    pipeline.submit_candidate(
        candidate=stale, opening=role, member=member.network_member, stage="sourced", by=member
    )
    # sourced counts as a live submission: not due at all
    assert services.run_retention(today=TODAY, dry_run=True)["erased"] == []


def test_the_daily_command_is_a_dry_run_unless_applied(stale):
    out = io.StringIO()
    call_command("privacy_retention", "--json", stdout=out)
    assert json.loads(out.getvalue())["dry_run"] is True
    stale.refresh_from_db()
    assert stale.anonymised_at is None
    out = io.StringIO()
    call_command("privacy_retention", "--apply", stdout=out)
    assert "1 people anonymised" in out.getvalue()
    stale.refresh_from_db()
    assert stale.anonymised_at is not None


def test_the_worker_task_runs_as_its_job(stale):
    from trainerdesk.privacy.tasks import apply_retention_task

    apply_retention_task.call(dry_run=False)
    event = AuditEvent.objects.get(action="privacy.retention.run")
    assert event.actor_system == "task:apply_retention"


def test_retention_page_shows_the_dry_run_and_runs_on_confirm(client_for, staff, stale):
    client = client_for(staff)
    page = client.get("/privacy/staff/retention/")
    assert f"candidate #{stale.pk}".encode() in page.content
    stale.refresh_from_db()
    assert stale.anonymised_at is None
    client.post("/privacy/staff/retention/", {})  # no confirmation: nothing
    stale.refresh_from_db()
    assert stale.anonymised_at is None
    client.post("/privacy/staff/retention/", {"confirm": "yes"})
    stale.refresh_from_db()
    assert stale.anonymised_at is not None


def test_a_person_with_open_obligations_is_held_not_erased(stale, staff):
    from trainerdesk.privacy import registry

    class Billing(registry.PersonalDataHandler):
        """A stand-in for the billing app: an unpaid invoice about the person."""

        app = "zz_billing"

        def obligations(self, subject):
            if subject.candidate_id == stale.pk:
                return [registry.Obligation("billing.invoice", 7, "invoice 7 is unpaid")]
            return []

    registry.register(Billing())
    try:
        report = services.run_retention(today=TODAY, dry_run=False, by=staff)
    finally:
        registry.unregister("zz_billing")
    assert report["erased"] == []
    assert report["held"][0]["obligations"][0]["description"] == "invoice 7 is unpaid"
    stale.refresh_from_db()
    assert stale.anonymised_at is None
