"""A gold pool (24 topic items with their references) owned by `staff`, and an active
assessment drawing 5 of them per attempt."""

import pytest

from conftest import TOPIC_SCHEMA

LABELS = ("business", "sport", "tech")
POOL_SIZE = 24


def pool_rows(n=POOL_SIZE, *, gold=True):
    return [
        {
            "data": {"text": f"Pool article number {i}.", "source": f"{LABELS[i % 3]}/{i}.txt"},
            "reference": {"topic": LABELS[i % 3]},
            "gold": gold,
        }
        for i in range(n)
    ]


@pytest.fixture
def pool(staff):
    from trainerdesk.accounts.services import create_organization
    from trainerdesk.workbench import services

    org = create_organization(name="Pool Lab", owner=staff)
    project = services.create_project(
        organization=org,
        created_by=staff,
        name="Topic gold pool",
        label_schema=TOPIC_SCHEMA,
        instructions="Pick the main topic.",
    )
    services.add_items(project=project, items=pool_rows(), by=staff)
    return project


@pytest.fixture
def assessment(pool, staff):
    from trainerdesk.vetting import services

    a = services.create_assessment(
        project=pool,
        slug="news-topics",
        title="News topics",
        task_type="text_classification",
        domain="news",
        items_per_attempt=5,
        pass_threshold=0.5,
        validity_days=365,
        retake_wait_days=30,
        by=staff,
    )
    return services.activate_assessment(assessment=a, by=staff)


def reference_of(item):
    return item.reference["topic"]
