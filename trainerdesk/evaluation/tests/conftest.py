"""A labelled topic project with two model versions' predictions."""

import random

import pytest

# The browser fixture every app's browser tests share (lib/browser_fixtures.py).
from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401

TOPICS = ["business", "sport", "tech"]
N_ITEMS = 60


def truth_of(i: int) -> str:
    return TOPICS[i % 3]


@pytest.fixture
def labelled(project, owner):
    """`project` (three unlabelled items) plus 60 items the owner labelled, each with
    data `source` a/b; predictions of "v1" (right on ~2/3) and "v2" (right on ~9/10)."""
    from trainerdesk.workbench import services

    first = project.items.order_by("pk").last().pk
    services.add_items(
        project=project,
        items=[
            {"text": ("word " * (5 if i % 2 else 30)) + f"n{i}", "source": "ab"[i % 2]}
            for i in range(N_ITEMS)
        ],
        by=owner,
    )
    items = list(project.items.filter(pk__gt=first).order_by("pk"))
    rng = random.Random(3)
    for i, item in enumerate(items):
        truth = truth_of(i)
        services.submit_annotation(project=project, item=item, user=owner, answer={"topic": truth})
        for version, right in (("v1", 0.66), ("v2", 0.9)):
            guess = truth if rng.random() < right else TOPICS[(i + 1) % 3]
            services.add_prediction(
                project=project, item=item, answer={"topic": guess}, model_version=version,
                by=owner,
            )  # fmt: skip
    project.labelled_items = items
    return project


# Words that give each topic away, so the baseline learns it from a few items.
TOPIC_WORDS = {
    "business": ["shares", "market", "profit", "bank", "prices"],
    "sport": ["goal", "match", "team", "score", "league"],
    "tech": ["chip", "software", "computer", "data", "phone"],
}


def add_labelled(project, owner, per_topic: int, *, skip: tuple[str, ...] = ()):
    """Add `per_topic` items per topic (not those in `skip`) with telling words, each
    labelled by the owner; returns the new items in id order."""
    from trainerdesk.workbench import services

    rng = random.Random(per_topic)
    last = project.items.order_by("pk").last()
    rows, truths = [], []
    for topic in TOPICS:
        if topic in skip:
            continue
        for i in range(per_topic):
            words = rng.sample(TOPIC_WORDS[topic], 3) + [f"n{i}"]
            rows.append({"text": " ".join(words)})
            truths.append(topic)
    services.add_items(project=project, items=rows, by=owner)
    items = list(project.items.filter(pk__gt=last.pk if last else 0).order_by("pk"))
    for item, truth in zip(items, truths, strict=True):
        services.submit_annotation(project=project, item=item, user=owner, answer={"topic": truth})
    return items
