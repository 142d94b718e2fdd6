"""Quality's project settings in its own model (QualitySettings), reached by the workbench's
settings page, project API and update_project through the registered settings section."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.quality import services as quality
from trainerdesk.quality.forms import QualitySettingsForm
from trainerdesk.quality.models import QualitySettings
from trainerdesk.quality.settings_section import SECTION
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Project

API = "/api/v1"


def _patch(client, project, body):
    return client.patch(f"{API}/projects/{project.pk}", body, content_type="application/json")


def test_a_new_project_gets_its_settings_row_with_the_defaults(project):
    row = QualitySettings.objects.get(project=project)
    assert (row.final_label_rule, row.gold_threshold, row.gold_min_items) == ("reviewer", 0.95, 20)


def test_the_section_form_api_and_model_name_the_same_settings():
    assert set(SECTION.api_fields) == set(QualitySettings.FIELDS)
    assert set(QualitySettingsForm.base_fields) == set(QualitySettings.FIELDS)
    # The workbench model keeps only what the workbench reads.
    project_fields = {f.name for f in Project._meta.get_fields()}
    assert not project_fields & set(QualitySettings.FIELDS)
    assert {"gold_rate", "gold_feedback"} <= project_fields


def test_update_records_one_event_with_what_changed_and_none_when_nothing_did(project, owner):
    quality.update_quality_settings(
        project=project, final_label_rule="majority", gold_min_items=30, by=owner
    )
    event = AuditEvent.objects.filter(action="quality.settings.update").get()
    assert event.project_id == project.pk and event.actor_id == owner.pk
    assert event.changes == {
        "final_label_rule": {"before": "reviewer", "after": "majority"},
        "gold_min_items": {"before": 20, "after": 30},
    }
    assert quality.settings_for(project).final_label_rule == "majority"  # cache updated
    quality.update_quality_settings(project=project, final_label_rule="majority", by=owner)
    assert AuditEvent.objects.filter(action="quality.settings.update").count() == 1


def test_bad_values_name_each_field_and_nothing_is_written(project, owner):
    with pytest.raises(services.InvalidInput) as exc:
        quality.update_quality_settings(
            project=project, final_label_rule="coin", gold_threshold=2, gold_min_items=0, by=owner
        )
    assert exc.value.errors == [
        "final_label_rule: must be one of reviewer, majority, dawid_skene",
        "gold_threshold: must be between 0 and 1, got 2",
        "gold_min_items: must be between 1 and 10000, got 0",
    ]
    # Through update_project a bad quality value rolls the project's own change back.
    with pytest.raises(services.InvalidInput):
        services.update_project(project=project, by=owner, name="Renamed", gold_min_items=0)
    project.refresh_from_db()
    assert project.name == "News topics"
    assert QualitySettings.objects.get(project=project).gold_min_items == 20


def test_update_project_hands_quality_keys_to_the_section(project, owner):
    project = services.update_project(
        project=project, by=owner, overlap=2, final_label_rule="dawid_skene", gold_threshold=0.8
    )
    row = QualitySettings.objects.get(project=project)
    assert (project.overlap, row.final_label_rule, row.gold_threshold) == (2, "dawid_skene", 0.8)


def test_a_project_without_a_row_reads_the_defaults_and_the_first_update_makes_it(project, owner):
    QualitySettings.objects.filter(project=project).delete()
    project = Project.objects.get(pk=project.pk)
    assert quality.settings_for(project).final_label_rule == "reviewer"
    assert quality.FinalLabeler(project).by_reviewer
    assert not QualitySettings.objects.filter(project=project).exists()  # reading never writes
    quality.update_quality_settings(project=project, gold_threshold=0.5, by=owner)
    assert QualitySettings.objects.get(project=project).gold_threshold == 0.5


def test_project_api_carries_the_settings_and_hides_the_pass_rule_from_annotators(
    project, owner, teammate, client_for
):
    client = client_for(owner)
    body = {"final_label_rule": "majority", "gold_threshold": 0.9, "gold_min_items": 5}
    response = _patch(client, project, body)
    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == body
    assert QualitySettings.objects.get(project=project).gold_min_items == 5
    for bad in ({"gold_min_items": 0}, {"gold_threshold": 1.5}, {"final_label_rule": None}):
        answer = _patch(client, project, bad)
        assert answer.status_code in (400, 422), bad
        assert next(iter(bad)) in str(answer.json()), answer.json()
    mine = client_for(teammate).get(f"{API}/projects/{project.pk}").json()
    assert mine["final_label_rule"] == "majority"
    assert mine["gold_threshold"] is None and mine["gold_min_items"] is None
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    assert {"final_label_rule", "gold_min_items"} <= set(schema["ProjectPatch"]["properties"])
    assert schema["ProjectPatch"]["properties"]["gold_min_items"]["anyOf"][0]["maximum"] == 10000


def test_settings_page_is_one_page_with_quality_section(project, owner, client_for):
    client = client_for(owner)
    url = reverse("workbench:project_settings", args=[project.pk])
    page = client.get(url).content.decode()
    form_start = page.index('<form method="post" class="card">')
    assert form_start < page.index("Review and gold (quality)") < page.index("Save settings")
    assert 'name="final_label_rule"' in page and 'name="gold_min_items"' in page
    context = client.get(url).context
    data = {k: v for k, v in context["form"].initial.items() if v not in (None, False)}
    bad = client.post(url, {**data, "gold_min_items": "0"})
    assert bad.status_code == 400
    section_form = bad.context["sections"][0]["form"]
    assert "gold_min_items" in section_form.errors
    project.refresh_from_db()
    assert QualitySettings.objects.get(project=project).gold_min_items == 20
    # Fields left out of the post leave their settings alone.
    assert client.post(url, {**data, "final_label_rule": "majority"}).status_code == 302
    row = QualitySettings.objects.get(project=project)
    assert (row.final_label_rule, row.gold_min_items) == ("majority", 20)


def test_pages_that_mention_the_rule_read_it_through_the_section(project, owner, client_for):
    quality.update_quality_settings(project=project, final_label_rule="majority", by=owner)
    client = client_for(owner)
    export = client.get(reverse("workbench:project_export", args=[project.pk]))
    assert "(Majority vote)" in export.content.decode()
    review = client.get(reverse("quality:review", args=[project.pk]))
    assert "the project's rule: Majority vote" in review.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_values_forward_and_back(org, owner):
    before = [("quality", "0005_bgrun_background_run"), ("workbench", "0010_bgrun_background_run")]
    after = [
        ("quality", "0006_settings_quality_settings"),
        ("workbench", "0011_settings_move_quality_fields"),
    ]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        OldProject = old.get_model("workbench", "Project")
        OldProject.objects.create(
            organization_id=org.pk, name="A", label_schema={}, final_label_rule="majority",
            gold_threshold=0.8, gold_min_items=7,
        )  # fmt: skip
        OldProject.objects.create(organization_id=org.pk, name="B", label_schema={})
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        rows = QualitySettings.objects.order_by("project__name").values_list(
            "project__name", "final_label_rule", "gold_threshold", "gold_min_items"
        )
        assert list(rows) == [("A", "majority", 0.8, 7), ("B", "reviewer", 0.95, 20)]
        QualitySettings.objects.filter(project__name="B").update(gold_min_items=9)
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        back = old.get_model("workbench", "Project").objects.order_by("name")
        assert list(back.values_list("name", "final_label_rule", "gold_min_items")) == [
            ("A", "majority", 7),
            ("B", "reviewer", 9),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
