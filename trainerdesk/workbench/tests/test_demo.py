import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.accounts.services import create_organization
from trainerdesk.workbench import demo
from trainerdesk.workbench.models import Project, ProjectMember
from trainerdesk.workbench.schema import parse_schema


def test_bbc_corpus_is_complete_labelled_and_valid():
    rows = demo.bbc_rows()
    assert len(rows) == 2225
    counts = Counter(row.reference["topic"] for row in rows)
    assert counts == {
        "business": 510,
        "entertainment": 386,
        "politics": 417,
        "sports": 511,
        "tech": 401,
    }
    schema = parse_schema(demo.BBC_SCHEMA)
    for row in rows:
        assert row.data["title"] and row.data["text"]
        assert row.data["file"].startswith(row.reference["topic"] + "/")
        assert schema.validate_item(row.data) == []
        schema.validate_answer(row.reference, row.data)
    # The one Windows-1252 article must keep its pound sign rather than lose bytes.
    mutu = next(r for r in rows if r.data["file"] == "sports/199.txt")
    assert "£15.8m" in mutu.data["text"]
    # A small limit (tests, quick try-outs) still covers every topic.
    assert {r.reference["topic"] for r in demo.bbc_rows(limit=5)} == set(counts)


def test_movie_sample_is_fixed_balanced_and_distinct():
    rows = demo.movie_rows()
    assert len(rows) == 2000
    assert Counter(r.reference["sentiment"] for r in rows) == {"negative": 1000, "positive": 1000}
    assert len({r.data["text"] for r in rows}) == 2000
    assert {r.data["source"] for r in rows} == {"imdb", "rotten_tomatoes"}
    assert not any("<br" in r.data["text"] for r in rows)
    again = demo.movie_rows(limit=10)
    assert [r.data for r in again] == [r.data for r in rows[:10]]


@pytest.fixture
def small_demo(db):
    return demo.load_demo(limit=6)


def test_demo_creates_users_projects_and_hidden_references(small_demo):
    User = get_user_model()
    org = Organization.objects.get(name="Demo Lab")
    for username in ("manager", "annotator1", "annotator2", "reviewer"):
        assert User.objects.get(username=username).check_password("trainerdesk-demo")
    assert org.role_of(User.objects.get(username="manager")) == Membership.Role.OWNER

    bbc = Project.objects.get(organization=org, name="BBC News topics")
    movies = Project.objects.get(organization=org, name="Movie review sentiment")
    assert (bbc.overlap, movies.overlap) == (2, 1)
    assert "# BBC News topics" in bbc.instructions
    roles = dict(bbc.members.values_list("user__username", "role"))
    assert roles == {
        "annotator1": ProjectMember.Role.ANNOTATOR,
        "annotator2": ProjectMember.Role.ANNOTATOR,
        "reviewer": ProjectMember.Role.REVIEWER,
    }
    assert bbc.items.count() == movies.items.count() == 6
    assert small_demo["projects"]["BBC News topics"]["added"] == 6
    for item in bbc.items.all():
        assert item.reference == {"topic": item.data["file"].split("/")[0]}
        assert item.annotations.count() == 0  # nothing simulated
    assert set(movies.items.values_list("reference__sentiment", flat=True)) == {
        "negative",
        "positive",
    }


def test_demo_twice_adds_nothing(small_demo):
    before = (
        get_user_model().objects.count(),
        Organization.objects.count(),
        Project.objects.count(),
        ProjectMember.objects.count(),
        Membership.objects.count(),
    )
    second = demo.load_demo(limit=6)
    assert all(p["added"] == 0 and p["duplicates"] == 6 for p in second["projects"].values())
    after = (
        get_user_model().objects.count(),
        Organization.objects.count(),
        Project.objects.count(),
        ProjectMember.objects.count(),
        Membership.objects.count(),
    )
    assert after == before
    # A larger limit later tops the projects up instead of starting over.
    third = demo.load_demo(limit=8)["projects"]["BBC News topics"]
    assert (third["added"], third["items"]) == (2, 8)


def test_reset_spares_users_who_joined_a_real_organization(small_demo):
    User = get_user_model()
    create_organization(name="Real Team", owner=User.objects.get(username="reviewer"))
    demo.reset_demo()
    assert not Organization.objects.filter(name="Demo Lab").exists()
    assert not Project.objects.exists()
    assert set(User.objects.values_list("username", flat=True)) == {"reviewer"}
    demo.load_demo(limit=2)
    assert Project.objects.get(name="BBC News topics").items.count() == 2


def test_demo_command_prints_logins_and_can_remove_itself(db):
    out = io.StringIO()
    call_command("demo", "--limit", "1", stdout=out)
    # The credentials are public; the output must say so where people copy them from.
    assert "demo credentials only" in out.getvalue()
    assert "annotator1  / trainerdesk-demo" in out.getvalue()
    call_command("demo", "--remove", stdout=io.StringIO())
    assert not Organization.objects.exists()
    assert not get_user_model().objects.filter(username__in=demo.USERNAMES).exists()
