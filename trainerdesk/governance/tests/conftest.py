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
