import json

import pytest
from django.urls import reverse

from trainerdesk.accounts.services import add_member
from trainerdesk.workbench.models import GuidelineVersion, Project, ProjectMember

pytestmark = pytest.mark.django_db

MANAGER_PAGES = [
    "workbench:project_settings",
    "workbench:project_members",
    "workbench:project_import",
    "workbench:project_export",
]


def _role(project, user):
    return Project.objects.get_with_role(pk=project.pk, user=user).role


def _new_project_form(org, **overrides):
    form = {
        "organization": org.pk,
        "name": "Sentiment",
        "description": "",
        "instructions": "Judge the tone.",
        "task_type": "classification",
        "source": "text",
        "labels": "positive:p\nnegative:n",
        "label_schema": "",
        "overlap": 1,
        "ordering": "sequential",
    }
    return form | overrides


def test_home_lists_projects_with_progress(client_for, owner, project):
    response = client_for(owner).get(reverse("workbench:home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "News topics" in text
    assert "0 of 3 items complete" in text
    assert reverse("workbench:annotate", args=[project.pk]) in text
    assert reverse("workbench:project_new") in text


def test_home_hides_new_project_from_plain_members(client_for, teammate, project):
    text = client_for(teammate).get(reverse("workbench:home")).content.decode()
    assert "News topics" in text
    assert reverse("workbench:project_new") not in text


def test_home_shows_outsider_nothing_of_other_orgs(client_for, outsider, project):
    text = client_for(outsider).get(reverse("workbench:home")).content.decode()
    assert "News topics" not in text


def test_overview_for_annotator_has_no_manager_links(client_for, teammate, project):
    response = client_for(teammate).get(reverse("workbench:project_detail", args=[project.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert reverse("workbench:annotate", args=[project.pk]) in text
    for name in MANAGER_PAGES:
        assert reverse(name, args=[project.pk]) not in text


def test_overview_for_manager_links_every_page(client_for, owner, project):
    text = client_for(owner).get(reverse("workbench:project_detail", args=[project.pk])).content
    for name in MANAGER_PAGES:
        assert reverse(name, args=[project.pk]).encode() in text


def test_guidelines_render_markdown_without_scripts(client_for, owner, project):
    project.instructions = "Use **bold** judgement.<script>alert(1)</script>"
    project.save()
    text = client_for(owner).get(reverse("workbench:project_detail", args=[project.pk])).content
    assert b"<strong>bold</strong>" in text
    assert b"<script>alert(1)" not in text


@pytest.mark.parametrize("name", ["workbench:project_detail", *MANAGER_PAGES])
def test_manager_sees_every_project_page(client_for, owner, project, name):
    assert client_for(owner).get(reverse(name, args=[project.pk])).status_code == 200


@pytest.mark.parametrize("name", ["workbench:project_detail", *MANAGER_PAGES])
def test_outsider_gets_404_everywhere(client_for, outsider, project, name):
    assert client_for(outsider).get(reverse(name, args=[project.pk])).status_code == 404


@pytest.mark.parametrize("name", MANAGER_PAGES)
def test_annotator_gets_404_on_manager_pages(client_for, teammate, project, name):
    assert client_for(teammate).get(reverse(name, args=[project.pk])).status_code == 404


def test_missing_project_is_the_same_404(client_for, owner, project):
    assert (
        client_for(owner).get(reverse("workbench:project_detail", args=[9999])).status_code == 404
    )


def test_new_project_page_only_for_org_admins(client_for, owner, teammate, org):
    assert client_for(owner).get(reverse("workbench:project_new")).status_code == 200
    assert client_for(teammate).get(reverse("workbench:project_new")).status_code == 404


def test_create_project_from_labels(client_for, owner, org):
    response = client_for(owner).post(reverse("workbench:project_new"), _new_project_form(org))
    project = Project.objects.get(name="Sentiment")
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:project_import", args=[project.pk])
    field = project.label_schema["fields"][0]
    assert field["type"] == "choice" and field["source"] == "text"
    assert [(lbl["value"], lbl.get("hotkey")) for lbl in field["labels"]] == [
        ("positive", "p"),
        ("negative", "n"),
    ]
    assert project.guidelines.get().text == "Judge the tone."


def test_bad_hotkey_is_reported_on_its_line(client_for, owner, org):
    form = _new_project_form(org, labels="positive:p\n\nnegative:N")
    response = client_for(owner).post(reverse("workbench:project_new"), form)
    assert response.status_code == 400
    errors = response.context["form"].errors["labels"]
    assert any(e.startswith("line 3 (negative): hotkey") for e in errors), errors
    assert not Project.objects.exists()


def test_custom_schema_error_names_the_path_and_creates_nothing(client_for, owner, org):
    schema = {"fields": [{"name": "topic", "type": "choice", "source": "text", "labels": []}]}
    form = _new_project_form(org, task_type="custom", label_schema=json.dumps(schema))
    response = client_for(owner).post(reverse("workbench:project_new"), form)
    assert response.status_code == 400
    errors = response.context["form"].errors["label_schema"]
    assert any("fields[0].labels" in e for e in errors), errors
    assert "fields[0].labels" in response.content.decode()
    assert not Project.objects.exists()
    assert not GuidelineVersion.objects.exists()


def test_custom_schema_with_broken_json_says_where(client_for, owner, org):
    form = _new_project_form(org, task_type="custom", label_schema='{"fields": [}')
    response = client_for(owner).post(reverse("workbench:project_new"), form)
    errors = response.context["form"].errors["label_schema"]
    assert any("invalid JSON" in e and "line 1" in e for e in errors), errors
    assert not Project.objects.exists()


def test_cannot_create_project_in_someone_elses_org(client_for, outsider, org):
    response = client_for(outsider).post(reverse("workbench:project_new"), _new_project_form(org))
    assert response.status_code == 400
    assert "organization" in response.context["form"].errors
    assert not Project.objects.filter(organization=org).exists()


def settings_form(project, **overrides):
    form = {
        "name": project.name,
        "description": project.description,
        "instructions": project.instructions,
        "label_schema": json.dumps(project.label_schema),
        "overlap": project.overlap,
        "ordering": project.ordering,
    }
    return form | overrides


def test_changing_instructions_bumps_guideline_version(client_for, owner, project):
    url = reverse("workbench:project_settings", args=[project.pk])
    response = client_for(owner).post(url, settings_form(project, instructions="New rules."))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.guideline_version == 2
    assert project.guidelines.first().text == "New rules."


def test_saving_unchanged_settings_keeps_the_version(client_for, owner, project):
    url = reverse("workbench:project_settings", args=[project.pk])
    client_for(owner).post(url, settings_form(project))
    project.refresh_from_db()
    assert project.guideline_version == 1


def test_settings_schema_error_keeps_the_old_schema(client_for, owner, project):
    url = reverse("workbench:project_settings", args=[project.pk])
    bad = {"fields": [{"name": "topic", "type": "nope"}]}
    response = client_for(owner).post(
        url, settings_form(project, label_schema=json.dumps(bad), name="Renamed")
    )
    assert response.status_code == 400
    assert any("fields[0].type" in e for e in response.context["form"].errors["label_schema"])
    project.refresh_from_db()
    assert project.name == "News topics"
    assert project.label_schema["fields"][0]["type"] == "choice"


def test_annotator_cannot_post_settings(client_for, teammate, project):
    url = reverse("workbench:project_settings", args=[project.pk])
    response = client_for(teammate).post(url, settings_form(project, name="Hijacked"))
    assert response.status_code == 404
    project.refresh_from_db()
    assert project.name == "News topics"


def test_add_change_and_remove_member(client_for, owner, org, project, django_user_model):
    newcomer = django_user_model.objects.create_user("newcomer", password="x")
    add_member(organization=org, user=newcomer)
    client = client_for(owner)
    url = reverse("workbench:project_members", args=[project.pk])
    assert client.post(url, {"username": "newcomer", "role": "reviewer"}).status_code == 302
    assert _role(project, newcomer) == "reviewer"
    assert "newcomer" in client.get(url).content.decode()
    remove = reverse("workbench:member_remove", args=[project.pk, newcomer.pk])
    assert client.post(remove).status_code == 302
    assert _role(project, newcomer) is None


def test_cannot_add_someone_outside_the_org(client_for, owner, outsider, project):
    url = reverse("workbench:project_members", args=[project.pk])
    for username in ("outsider", "nobody-at-all"):
        response = client_for(owner).post(url, {"username": username, "role": "annotator"})
        assert response.status_code == 400
        assert f"{username} is not in Acme Labs" in response.context["form"].errors["username"]
    assert not ProjectMember.objects.filter(user=outsider).exists()


def test_annotator_cannot_remove_members(client_for, teammate, project):
    remove = reverse("workbench:member_remove", args=[project.pk, teammate.pk])
    assert client_for(teammate).post(remove).status_code == 404
    assert _role(project, teammate) == "annotator"
