import pytest


@pytest.fixture
def labelled(project, teammate, owner):
    """The root project with two items answered by the teammate and one by the owner too."""
    from trainerdesk.workbench import services

    items = list(project.items.order_by("id"))
    services.set_project_member(project=project, user=owner, role="manager", by=owner)
    for item, topic in zip(items[:2], ["business", "sport"], strict=True):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )
    return project


# (sex, split, topic): F gets "sport" 2 of 6 times, M 5 of 6 (DI 0.4: fails the 4/5 rule).
AUDIT_ROWS = [
    *[("F", "train", t) for t in ["sport", "tech", "business", "tech"]],
    *[("F", "test", t) for t in ["sport", "tech"]],
    *[("M", "train", t) for t in ["sport", "sport", "sport", "tech", "sport"]],
    ("M", "test", "sport"),
]


@pytest.fixture
def audited(project, teammate, owner):
    """The root project plus twelve items with sex and split in their data, each answered
    once by the teammate (the root's three items stay unlabelled)."""
    from trainerdesk.workbench import services

    services.add_items(
        project=project,
        items=[
            {"text": f"row {i}", "sex": s, "split": sp} for i, (s, sp, _t) in enumerate(AUDIT_ROWS)
        ],
        by=owner,
    )
    items = list(project.items.filter(data__has_key="sex").order_by("id"))
    for item, (_s, _sp, topic) in zip(items, AUDIT_ROWS, strict=True):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )
    return project
