"""The audit log behind the writes the API coverage test does not reach: the web forms,
the CLI's import and export, the worker's tasks, the bulk events' count and digest, and
the chain verifying afterwards. (quality is the top layer: it may use both apps.)"""

import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib import audit
from trainerdesk.quality import services as quality
from trainerdesk.workbench import services
from trainerdesk.workbench.models import ImportJob
from trainerdesk.workbench.tests.test_project_views import settings_form


def _events(after=0, **filters):
    return list(AuditEvent.objects.filter(pk__gt=after, **filters).order_by("pk"))


def _last():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_the_settings_form_records_settings_schema_and_guideline_by_the_user(
    client_for, owner, project
):
    last = _last()
    schema = project.label_schema
    schema["fields"][0]["labels"].append({"value": "other", "hotkey": "o"})
    form = settings_form(
        project, name="Renamed", instructions="New rules.", label_schema=json.dumps(schema)
    )
    url = reverse("workbench:project_settings", args=[project.pk])

    assert client_for(owner).post(url, form).status_code == 302

    by_action = {e.action: e for e in _events(last, action__startswith="workbench.")}
    assert {"workbench.project.update", "workbench.project.schema_change"} <= by_action.keys()
    assert "workbench.guideline.create" in by_action
    update = by_action["workbench.project.update"]
    assert update.changes["name"] == {"before": "News topics", "after": "Renamed"}
    assert update.changes["guideline_version"] == {"before": 1, "after": 2}
    assert "instructions" not in update.changes  # the text is named, not copied
    change = by_action["workbench.project.schema_change"]
    assert change.changes["schema_hash"]["before"] != change.changes["schema_hash"]["after"]
    assert by_action["workbench.guideline.create"].changes["version"] == 2
    assert {e.actor_id for e in by_action.values()} == {owner.pk}
    assert {e.project_id for e in by_action.values()} == {project.pk}


def test_the_members_page_records_add_change_and_remove(client_for, owner, teammate, project):
    client = client_for(owner)
    url = reverse("workbench:project_members", args=[project.pk])
    last = _last()

    client.post(url, {"username": teammate.username, "role": "reviewer"})
    services.remove_project_member(project=project, user=teammate, by=owner)
    client.post(url, {"username": teammate.username, "role": "annotator"})

    events = _events(last)
    assert [e.action for e in events] == [
        "workbench.projectmember.update",
        "workbench.projectmember.delete",
        "workbench.projectmember.create",
    ]
    assert events[0].changes["role"] == {"before": "annotator", "after": "reviewer"}
    assert all(e.changes["user_id"] == teammate.pk and e.actor_id == owner.pk for e in events)


def test_cli_import_records_start_and_finish_with_the_file_hash(project, tmp_path):
    path = tmp_path / "more.jsonl"
    path.write_bytes(b'{"text": "One."}\n{"text": "Two."}\n{"text": "One."}\n')
    last = _last()

    with audit.acting_as("cli:import"):  # what `trainerdesk import` sets
        call_command("import", str(project.pk), str(path), "--no-progress", stdout=io.StringIO())

    start, finish = _events(last)
    assert (start.action, finish.action) == ("workbench.import.create", "workbench.import.finish")
    assert start.actor_system == finish.actor_system == "cli:import"
    assert start.changes["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert finish.changes["status"] == "done"
    assert (finish.changes["items_added"], finish.changes["duplicates"]) == (2, 1)


def test_cli_export_records_who_exported_what(project, tmp_path):
    last = _last()

    with audit.acting_as("cli:export"):
        call_command(
            "export", str(project.pk), "-o", str(tmp_path / "out.csv"), stderr=io.StringIO()
        )

    (event,) = _events(last)
    assert event.action == "workbench.export.create"
    assert event.actor_system == "cli:export"
    assert event.changes["format"] == "csv"
    assert event.changes["includes_reference"] is False


def test_a_downloaded_jsonl_export_says_it_carries_reference_answers(client_for, owner, project):
    last = _last()
    url = reverse("workbench:project_export", args=[project.pk])
    response = client_for(owner).get(url, {"format": "jsonl", "include_annotations": "on"})
    b"".join(response.streaming_content)

    (event,) = _events(last, action="workbench.export.create")
    assert event.actor_id == owner.pk
    assert event.changes["includes_reference"] is True


def test_the_import_task_records_its_finish_as_the_worker(
    owner, project, django_capture_on_commit_callbacks
):
    last = _last()
    upload = SimpleUploadedFile("more.jsonl", b'{"text": "Queued."}\n')

    # The immediate task backend runs the task as the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(project=project, upload=upload, by=owner)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    start, finish = _events(last, action__startswith="workbench.import.")
    assert (start.actor_id, start.actor_system) == (owner.pk, "")
    assert (finish.actor_id, finish.actor_system) == (None, "task:run_import")
    assert finish.object_id == str(job.pk) and finish.changes["items_added"] == 1


def test_a_label_error_run_records_its_finish_as_the_worker(
    owner, project, django_capture_on_commit_callbacks
):
    # Three items, each answered once: too little to cross-validate, so the run fails,
    # and a failed run must leave its finish event as surely as a finished one.
    last = _last()
    with django_capture_on_commit_callbacks(execute=True):
        run = quality.start_label_error_run(project=project, by=owner, folds=2)

    run.refresh_from_db()
    start, finish = _events(last, action__startswith="quality.label_error_run.")
    assert (start.action, start.actor_id) == ("quality.label_error_run.create", owner.pk)
    assert finish.action == "quality.label_error_run.finish"
    assert (finish.actor_id, finish.actor_system) == (None, "task:run_label_errors")
    assert finish.object_id == str(run.pk) and finish.changes["status"] == run.status


def test_an_agreement_report_records_its_finish_as_the_worker(
    owner, project, django_capture_on_commit_callbacks
):
    last = _last()
    with django_capture_on_commit_callbacks(execute=True):
        rep = quality.start_agreement_report(project=project, by=owner)

    rep.refresh_from_db()
    start, finish = _events(last, action__startswith="quality.agreement_report.")
    assert (start.action, start.actor_id) == ("quality.agreement_report.create", owner.pk)
    assert finish.action == "quality.agreement_report.finish"
    assert (finish.actor_id, finish.actor_system) == (None, "task:compute_agreement_report")
    assert finish.changes["status"] == rep.status and finish.changes["inputs_sha256"] == rep.digest


def test_added_items_event_digests_exactly_the_new_items(owner, project):
    # The ids come from the insert itself (no lookup by content hash): a row already in
    # the project and a bad row must not be counted, on either database.
    before = set(project.items.values_list("pk", flat=True))
    existing = project.items.order_by("id").first().data
    last = _last()

    result = services.add_items(
        project=project,
        items=[{"text": "new one"}, existing, {"text": 5}, {"text": "new two"}],
        by=owner,
    )

    new = sorted(set(project.items.values_list("pk", flat=True)) - before)
    (event,) = _events(last)
    assert result.added == 2 and len(new) == 2
    assert event.action == "workbench.item.bulk_create"
    assert (event.changes["count"], event.changes["ids_sha256"]) == audit.ids_digest(new)
    assert event.changes["duplicates"] == 1 and event.changes["errors"] == 1


def test_bulk_events_carry_the_count_and_ids_digest_not_the_ids(owner, project):
    ids = list(project.items.order_by("id").values_list("pk", flat=True))
    last = _last()

    services.set_items_priority(project=project, item_ids=ids, priority=5, by=owner)
    services.delete_items(project=project, item_ids=ids[:2], by=owner)

    priority, deleted = _events(last)
    assert priority.action == "workbench.item.bulk_priority"
    assert priority.changes == {
        "priority": 5,
        "count": len(ids),
        "ids_sha256": audit.ids_digest(ids)[1],
    }
    assert deleted.action == "workbench.item.bulk_delete"
    assert (deleted.changes["count"], deleted.changes["ids_sha256"]) == audit.ids_digest(ids[:2])


def test_webhook_events_never_hold_the_secret_or_the_url_path(owner, project):
    last = _last()
    hook = services.create_webhook(
        project=project,
        by=owner,
        url="https://hooks.example.org/T0/SECRETPATH",
        events=["item.commented"],
    )
    services.update_webhook(webhook=hook, by=owner, url="https://hooks.example.org/T0/OTHER")
    services.delete_webhook(webhook=hook, by=owner)

    events = _events(last)
    assert [e.action for e in events] == [
        "workbench.webhook.create",
        "workbench.webhook.update",
        "workbench.webhook.delete",
    ]
    text = json.dumps([e.changes for e in events])
    assert "SECRETPATH" not in text and "OTHER" not in text and hook.secret not in text
    assert events[0].changes["url_host"] == {"after": "hooks.example.org"}
    assert events[1].changes == {"url_changed": True}


def test_a_send_back_records_the_review_and_the_withdrawn_annotation(owner, teammate, project):
    item = project.items.order_by("id").first()
    services.submit_annotation(project=project, item=item, user=teammate, answer={"topic": "tech"})
    annotation = project.annotations.get(item=item)
    last = _last()

    quality.record_review(
        project=project, annotation=annotation, reviewer=owner, decision="rejected",
        reason="It is sport.", send_back=True,
    )  # fmt: skip

    actions = [(e.action, e.actor_id) for e in _events(last)]
    assert actions == [
        ("workbench.annotation.delete", owner.pk),
        ("quality.review.send_back", owner.pk),
    ]


@pytest.mark.django_db
def test_audit_verify_passes_after_all_of_it(
    client_for, owner, teammate, project, django_capture_on_commit_callbacks
):
    test_the_settings_form_records_settings_schema_and_guideline_by_the_user(
        client_for, owner, project
    )
    test_the_import_task_records_its_finish_as_the_worker(
        owner, project, django_capture_on_commit_callbacks
    )
    test_bulk_events_carry_the_count_and_ids_digest_not_the_ids(owner, project)
    quality.record_gold_snapshots(project=project, by=owner)
    out = io.StringIO()

    call_command("audit", "verify", stdout=out)

    assert "OK:" in out.getvalue()
    assert AuditEvent.objects.filter(project_id=project.pk).count() >= 8
