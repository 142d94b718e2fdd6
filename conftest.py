"""Shared test set-up: an isolated data directory and the personas every test uses.

Personas: `owner` owns the organization (so manages every project in it), `teammate`
is an annotator on the project, `outsider` belongs to another organization and must
never see any of it.
"""

import pytest

# The environment for tests (data directory, inline tasks) is set by the plugin
# trainerdesk.lib.pytest_env, loaded from pyproject's addopts before Django starts.


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    # PBKDF2 at production strength costs ~0.3 s per login; tests log in a lot.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


PASSWORD = "correct-horse-battery-staple"


def _user(username):
    from trainerdesk.accounts.services import create_user

    return create_user(username=username, password=PASSWORD, email=f"{username}@example.org")


@pytest.fixture
def owner(db):
    return _user("owner")


@pytest.fixture
def teammate(db):
    return _user("teammate")


@pytest.fixture
def outsider(db):
    from trainerdesk.accounts.services import create_organization

    user = _user("outsider")
    create_organization(name="Other Org", owner=user)
    return user


@pytest.fixture
def org(owner, teammate):
    from trainerdesk.accounts.services import add_member, create_organization

    organization = create_organization(name="Acme Labs", owner=owner)
    add_member(organization=organization, user=teammate)
    return organization


TOPIC_SCHEMA = {
    "fields": [
        {
            "name": "topic",
            "type": "choice",
            "source": "text",
            "labels": [
                {"value": "business", "hotkey": "b"},
                {"value": "sport", "hotkey": "s"},
                {"value": "tech", "hotkey": "t"},
            ],
        }
    ]
}


@pytest.fixture
def project(org, owner, teammate):
    """A topic-classification project with three items; teammate annotates."""
    from trainerdesk.workbench import services

    project = services.create_project(
        organization=org,
        created_by=owner,
        name="News topics",
        label_schema=TOPIC_SCHEMA,
        instructions="Pick the main topic.",
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project,
        items=[
            {"text": "Shares rose sharply."},
            {"text": "A late goal won it."},
            {"text": "A new chip."},
        ],
        by=owner,
    )
    return project


@pytest.fixture
def client_for(client):
    """Log a persona in: client_for(owner) returns a logged-in Django test client."""

    def login(user):
        client.force_login(user)
        return client

    return login
