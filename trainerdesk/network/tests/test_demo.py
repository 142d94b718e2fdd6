import io

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.network import demo, services
from trainerdesk.network.models import Candidate, Client, Member, Opening
from trainerdesk.vetting.models import Evidence


def test_network_demo_is_complete_and_idempotent(db):
    out = io.StringIO()
    summary = demo.load_network_demo(stdout=out)
    counts = (
        Member.objects.count(),
        Client.objects.count(),
        Opening.objects.count(),
        Candidate.objects.count(),
    )
    assert counts == (2, 1, 2, 3)
    assert all(services.member_can_submit(m) for m in Member.objects.all())
    roles = {o.task_type: o for o in Opening.objects.filter(status="open")}
    news = roles["text_classification"].requirements.get(kind="accuracy")
    assert (news.domain, news.threshold) == ("news", 0.8)
    assert (
        roles["text_classification"]
        .requirements.filter(kind="language", language="en", level="C1")
        .exists()
    )
    assert roles["sentiment"].domain == "reviews"
    for person in Candidate.objects.all():
        assert person.user is not None and person.email.endswith("@example.org")
        assert person.consents.filter(method="candidate_portal").exists()
    assert not Evidence.objects.exists()  # no results until someone takes an assessment
    assert set(summary["logins"]) == set(demo.USERNAMES)
    events = AuditEvent.objects.count()
    demo.load_network_demo(stdout=out)
    assert (Member.objects.count(), Opening.objects.count(), Candidate.objects.count()) == (2, 2, 3)
    assert AuditEvent.objects.count() == events  # nothing written twice
    assert "Network demo" in out.getvalue()


def test_the_demo_command_hooks_load_and_remove(db):
    from django.apps import apps

    config = apps.get_app_config("network")
    out = io.StringIO()
    config.load_demo(stdout=out, limit=1)
    assert "demo-member1    / trainerdesk-demo" in out.getvalue()
    config.remove_demo(stdout=out)
    assert not Member.objects.exists() and not Client.objects.exists()
    assert not Candidate.objects.exists() and not Opening.objects.exists()
    config.load_demo(stdout=out)  # and back again from nothing
    assert Candidate.objects.count() == 3


def test_network_events_go_to_the_global_chain_which_verifies(db):
    from trainerdesk.lib import audit

    demo.load_network_demo()
    network = AuditEvent.objects.filter(action__startswith="network.")
    assert network.exists() and not network.exclude(organization_id=None).exists()
    assert audit.verify("global").broken is None
