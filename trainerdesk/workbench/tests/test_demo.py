import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.accounts.services import create_organization
from trainerdesk.workbench import demo, services
from trainerdesk.workbench.images import UPLOAD_PREFIX
from trainerdesk.workbench.models import ImageAsset, Project, ProjectMember
from trainerdesk.workbench.schema import parse_schema


def test_bbc_corpus_is_complete_labelled_and_valid():
    rows = demo.bbc_rows()
    # 2,225 files, of which 98 repeat an article of the same topic word for word.
    assert len(rows) == 2127
    counts = Counter(row.reference["topic"] for row in rows)
    assert counts == {
        "business": 503,
        "entertainment": 369,
        "politics": 403,
        "sports": 505,
        "tech": 347,
    }
    schema = parse_schema(demo.BBC_SCHEMA)
    for row in rows:
        assert row.data["title"] and row.data["text"]
        assert set(row.data) == {"title", "text", "source"}
        assert schema.validate_item(row.data) == []
        schema.validate_answer(row.reference, row.data)
    assert len({r.external_id for r in rows}) == 2127
    assert [r.line for r in rows] == list(range(1, 2128))
    # The one Windows-1252 article (sports/199.txt) must keep its pound sign.
    mutu = next(r for r in rows if r.data["title"] == "Chelsea sack Mutu")
    assert "£15.8m" in mutu.data["text"] and mutu.reference == {"topic": "sports"}
    # A small limit (tests, quick try-outs) still covers every topic.
    assert {r.reference["topic"] for r in demo.bbc_rows(limit=5)} == set(counts)


def test_movie_sample_is_fixed_balanced_and_distinct():
    rows = demo.movie_rows()
    assert len(rows) == 2000
    assert Counter(r.reference["sentiment"] for r in rows) == {"negative": 1000, "positive": 1000}
    assert len({r.data["text"] for r in rows}) == 2000
    assert {r.data["source"] for r in rows} == {"imdb", "rotten_tomatoes"}
    assert not any("<br" in r.data["text"] for r in rows)
    assert len({r.external_id for r in rows}) == 2000
    again = demo.movie_rows(limit=10)
    assert [r.data for r in again] == [r.data for r in demo.movie_rows(limit=10)]
    assert Counter(r.reference["sentiment"] for r in again) == {"negative": 5, "positive": 5}
    assert {r.data["text"] for r in again} < {r.data["text"] for r in rows}


def test_tweets_are_wnut16_with_gold_entities_as_spans():
    rows = demo.tweet_rows()
    assert len(rows) == len({r.data["text"] for r in rows}) == 300
    schema = parse_schema(demo.TWEETS_SCHEMA)
    labels = {value for value, _key, _d in demo.TWEETS_LABELS}
    for row in rows:
        assert schema.validate_item(row.data) == []
        schema.validate_answer(row.reference, row.data)
        for span in row.reference["entities"]:
            assert span["label"] in labels
            assert row.data["text"][span["start"] : span["end"]] == span["text"]
    # WNUT-16's first training tweet, with its one facility written over three tokens.
    first = next(r for r in rows if r.data["text"].startswith("@paulwalk It 's the view"))
    assert [(s["text"], s["label"]) for s in first.reference["entities"]] == [
        ("Empire State Building", "facility"),
        ("ESB", "facility"),
    ]
    assert len(demo._tweets()) == 2394  # the whole training set is in the package
    assert {r.data["text"] for r in demo.tweet_rows(limit=5)} < {r.data["text"] for r in rows}


def test_digits_are_scikit_learns_scaled_up_with_their_true_digit():
    from sklearn.datasets import load_digits, load_sample_images

    digits = demo.digit_images()
    assert len(digits) == 300
    reference = load_digits()
    assert [d for _n, _png, d in digits] == reference.target[:300].tolist()
    assert min(Counter(d for _n, _png, d in digits).values()) >= 25  # every digit, balanced
    assert {d for _n, _png, d in demo.digit_images(limit=10)} == set(range(10))
    schema = parse_schema(demo.DIGITS_SCHEMA)
    assert len({name for name, _png, _d in digits}) == 300
    for (name, png, digit), ink in zip(digits, reference.images[:300], strict=True):
        assert name.startswith("digit-") and name.endswith(".png")
        image = Image.open(io.BytesIO(png))
        assert (image.format, image.size, image.mode) == ("PNG", (64, 64), "L")
        # Each 8x8 pixel became an 8x8 block: ink 16 is black, 0 white.
        blocks = [image.getpixel((x * 8 + 4, y * 8 + 4)) for y in range(8) for x in range(8)]
        assert blocks == [255 - int(v) * 255 // 16 for v in ink.flatten()]
        schema.validate_answer({"digit": str(digit)}, {"image": "upload:x"})
    # The photos are the files load_sample_images() reads.
    photos = load_sample_images()
    for name, array in zip(demo.PHOTOS, photos.images, strict=True):
        with Image.open(demo._sklearn_file("images", name)) as photo:
            assert photo.size == (array.shape[1], array.shape[0])
    parse_schema(demo.PHOTOS_SCHEMA)


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
    truth = {r.external_id: r.reference for r in demo.bbc_rows(limit=6)}
    for item in bbc.items.all():
        assert item.reference == truth[item.external_id]
        assert item.annotations.count() == 0  # nothing simulated
    # Annotators see the article and its title, nothing else of the item.
    assert (bbc.annotator_fields, movies.annotator_fields) == (["title"], [])
    assert not bbc.annotators_see_external_id
    tweets = Project.objects.get(organization=org, name=demo.TWEETS_PROJECT)
    assert tweets.items.count() == 6
    assert tweets.schema.types == {"spans"}
    assert all("entities" in item.reference for item in tweets.items.all())
    assert set(movies.items.values_list("reference__sentiment", flat=True)) == {
        "negative",
        "positive",
    }


def test_demo_uploads_digits_with_hidden_references_and_the_photos(small_demo):
    digits = Project.objects.get(name="Digits (image classification)")
    photos = Project.objects.get(name="Photos (bounding boxes)")
    assert small_demo["projects"][digits.name]["added"] == 6
    truth = {name: {"digit": str(d)} for name, _png, d in demo.digit_images(limit=6)}
    for item in digits.items.all():
        assert item.data["image"].startswith(UPLOAD_PREFIX)  # stored like an upload
        assert item.reference == truth[item.data["filename"]]
        assert item.annotations.count() == 0
    assert ImageAsset.objects.filter(project=digits).count() == 6
    assert {a.width for a in ImageAsset.objects.filter(project=digits)} == {64}
    names = photos.items.values_list("data__filename", flat=True)
    assert len(names) == 2 and all(n.startswith("photo-") and n.endswith(".jpg") for n in names)
    assert set(photos.items.values_list("reference", flat=True)) == {None}
    assert set(ImageAsset.objects.filter(project=photos).values_list("width", flat=True)) == {640}
    # An annotator gets a digit to classify, and nothing on the page gives the digit away.
    client = Client()
    client.force_login(get_user_model().objects.get(username="annotator1"))
    page = client.get(reverse("workbench:annotate", args=[digits.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "item-image" in body and 'data-key="0"' in body
    shown = digits.items.get(pk=page.context["item"].pk)
    assert f'"digit": "{shown.reference["digit"]}"' not in body


def test_demo_twice_adds_nothing(small_demo):
    before = (
        get_user_model().objects.count(),
        Organization.objects.count(),
        Project.objects.count(),
        ProjectMember.objects.count(),
        Membership.objects.count(),
    )
    second = demo.load_demo(limit=6)
    assert all(
        p["added"] == 0 and p["duplicates"] == p["items"] for p in second["projects"].values()
    )
    assert [p["items"] for p in second["projects"].values()] == [6, 6, 6, 6, 2]
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


def test_a_demo_from_before_the_fix_is_not_filled_twice(db):
    """An older demo's BBC items (ids like `bbc/sports/199`, the file name in the data)
    differ from today's, so filling would add the corpus again beside them."""
    demo.load_demo(limit=2)
    bbc = Project.objects.get(name=demo.BBC_PROJECT)
    bbc.items.all().delete()
    old = {
        "data": {"text": "Old article.", "file": "sports/199.txt"},
        "external_id": "bbc/sports/199",
    }
    services.add_items(project=bbc, items=[old], by=bbc.created_by)
    out = io.StringIO()
    summary = demo.load_demo(stdout=out, limit=4)["projects"][demo.BBC_PROJECT]
    assert (summary["added"], summary["items"], summary["legacy"]) == (0, 1, 1)
    assert "trainerdesk demo --reset" in out.getvalue()
    # The other projects are topped up as usual.
    assert Project.objects.get(name=demo.MOVIES_PROJECT).items.count() == 4
