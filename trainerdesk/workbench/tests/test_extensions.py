"""The workbench's extension points (workbench/extensions.py): apps above it contribute
project-bar links and behaviour without the workbench importing them."""

from pathlib import Path

import pytest
from django import forms
from django.urls import reverse

from trainerdesk.workbench import extensions, services
from trainerdesk.workbench.extensions import NavLink

NAV = Path(__file__).resolve().parents[1] / "templates" / "workbench" / "_project_nav.html"


def _bar(client, project) -> str:
    page = client.get(reverse("workbench:progress", args=[project.pk])).content.decode()
    start = page.index('aria-label="Project"')
    return page[start : page.index("</nav>", start)]


def test_the_project_bar_names_no_app_above_the_workbench():
    assert "quality:" not in NAV.read_text()


def test_each_app_contributes_its_links_in_order_for_the_users_role(
    client_for, owner, teammate, project
):
    manager_bar = _bar(client_for(owner), project)
    order = ["Annotate", "Progress", "Gold", "Items", "Review", "Quality", "Import", "Settings"]
    assert [manager_bar.index(f">{label}</a>") for label in order] == sorted(
        manager_bar.index(f">{label}</a>") for label in order
    )
    assert "My scorecard" not in manager_bar
    annotator_bar = _bar(client_for(teammate), project)
    assert ">My scorecard</a>" in annotator_bar and ">Review</a>" not in annotator_bar
    scorecard = reverse("quality:scorecard", args=[project.pk, teammate.get_username()])
    assert f'href="{scorecard}"' in annotator_bar


def test_a_registered_link_appears_and_is_marked_when_current(
    monkeypatch, client_for, owner, project
):
    monkeypatch.setattr(extensions, "_nav", dict(extensions._nav))
    extensions.register_nav_link(
        NavLink("Probe", "workbench:progress", 5, roles=("manager",), current=("nothing",))
    )
    bar = _bar(client_for(owner), project)
    assert bar.index(">Probe</a>") < bar.index(">Annotate</a>")
    # Progress itself stays the one marked page.
    assert bar.count('aria-current="page"') == 1
    assert 'aria-current="page">Progress</a>' in bar


def test_without_a_final_label_rule_registered_nothing_has_a_final_answer(monkeypatch, project):
    monkeypatch.setattr(extensions, "_final_answers", None)
    monkeypatch.setattr(extensions, "_final_labeler", None)
    monkeypatch.setattr(extensions, "_export_enrichers", [])
    ids = list(project.items.values_list("id", flat=True))
    assert services.final_answers(project=project, item_ids=ids) == dict.fromkeys(ids)
    records = list(services.export_records(project=project))
    assert [r["final"] for r in records] == [None] * len(ids)


class _ProbeForm(forms.Form):
    probe = forms.IntegerField(required=False)


def _probe_section(app="probe", changed=None):
    def update(*, project, by, **changes):
        if changed is not None:
            changed.update(changes)

    return extensions.SettingsSection(
        app=app,
        title="Probe",
        form=_ProbeForm,
        api_fields={"probe": (int, {"ge": 0})},
        read=lambda *, project: {"probe": 1},
        update=update,
    )


def test_without_an_apps_section_the_workbench_refuses_its_keys(monkeypatch, project, owner):
    monkeypatch.setattr(extensions, "_settings_sections", {})
    with pytest.raises(services.InvalidInput) as exc:
        services.update_project(project=project, by=owner, final_label_rule="majority")
    assert exc.value.errors == ["final_label_rule: not a project setting"]
    assert extensions.describe_settings(project) == {}


def test_update_project_hands_a_sections_keys_to_it_in_its_transaction(monkeypatch, project, owner):
    changed: dict = {}
    monkeypatch.setattr(extensions, "_settings_sections", {})
    monkeypatch.setattr(extensions, "_sections_read", False)
    extensions.register_settings_section(_probe_section(changed=changed))
    services.update_project(project=project, by=owner, probe=3, overlap=2)
    assert changed == {"probe": 3}
    project.refresh_from_db()
    assert project.overlap == 2


def test_sections_register_once_each_and_before_the_api_is_built(monkeypatch):
    monkeypatch.setattr(extensions, "_settings_sections", {})
    monkeypatch.setattr(extensions, "_sections_read", False)
    section = _probe_section()
    extensions.register_settings_section(section)
    with pytest.raises(RuntimeError, match="already owned by another app"):
        extensions.register_settings_section(_probe_section(app="other"))
    extensions.settings_sections(for_schemas=True)
    extensions.register_settings_section(section)  # the same section again: fine
    with pytest.raises(RuntimeError, match="after the API schemas were built"):
        extensions.register_settings_section(_probe_section(app="late"))
