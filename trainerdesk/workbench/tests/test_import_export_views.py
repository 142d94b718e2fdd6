import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from trainerdesk.workbench import services
from trainerdesk.workbench.models import ImportJob, Item

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = b'{"text": "Rates held steady."}\n{"text": \n{"text": "A record marathon."}\n'


def _upload(client, project, name, content, capture):
    # The import is queued on commit; run the captured callback so the inline task runs.
    with capture(execute=True):
        return client.post(
            reverse("workbench:project_import", args=[project.pk]),
            {"file": SimpleUploadedFile(name, content)},
        )


def test_import_reports_the_bad_line_and_keeps_the_good_rows(
    client_for, owner, project, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    response = _upload(
        client, project, "news.jsonl", GOOD_AND_BAD, django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:import_job", args=[project.pk, job.pk])

    page = client.get(response["Location"])
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert job.items_added == 2
    assert page.status_code == 200
    rows = page.context["row_errors"]
    assert [row["line"] for row in rows] == [2]
    assert "<td>2</td>" in page.content.decode()
    # A finished job stops polling.
    assert "hx-trigger" not in page.content.decode()
    assert Item.objects.filter(project=project).count() == 5


def test_past_imports_are_listed(client_for, owner, project, django_capture_on_commit_callbacks):
    client = client_for(owner)
    _upload(client, project, "news.jsonl", GOOD_AND_BAD, django_capture_on_commit_callbacks)
    page = client.get(reverse("workbench:project_import", args=[project.pk]))
    assert "news.jsonl" in page.content.decode()


def test_progress_partial_for_htmx_polls_until_done(client_for, owner, project):
    # Queued and never run: the state a browser sees while the worker is busy.
    job = ImportJob.objects.create(
        project=project,
        created_by=owner,
        original_name="big.jsonl",
        format="jsonl",
        size_bytes=1000,
        processed_bytes=250,
        progress=0.25,  # stored by the worker from the bytes read (BackgroundRun)
        rows_read=40,
    )
    url = reverse("workbench:import_job", args=[project.pk, job.pk])
    partial = client_for(owner).get(url, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in text and "topbar" not in text
    assert 'id="import-progress"' in text
    assert 'hx-trigger="every 1s"' in text
    assert "<progress" in text and 'value="25"' in text
    full = client_for(owner).get(url).content.decode()
    assert "<html" in full and 'id="import-progress"' in full


def test_import_job_is_manager_only(client_for, teammate, outsider, owner, project):
    job = ImportJob.objects.create(
        project=project, created_by=owner, original_name="a.jsonl", format="jsonl"
    )
    url = reverse("workbench:import_job", args=[project.pk, job.pk])
    assert client_for(owner).get(url).status_code == 200
    assert client_for(teammate).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404


def test_job_of_another_project_is_404(client_for, owner, org, project):
    other = services.create_project(
        organization=org,
        created_by=owner,
        name="Other",
        label_schema=project.label_schema,
    )
    job = ImportJob.objects.create(
        project=other, created_by=owner, original_name="a.jsonl", format="jsonl"
    )
    url = reverse("workbench:import_job", args=[project.pk, job.pk])
    assert client_for(owner).get(url).status_code == 404


def test_upload_over_the_limit_is_refused_by_name(
    client_for, owner, project, settings, django_capture_on_commit_callbacks
):
    settings.MAX_UPLOAD_BYTES = 10
    response = _upload(
        client_for(owner), project, "huge.jsonl", GOOD_AND_BAD, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert any("huge.jsonl" in e and "upload limit" in e for e in errors), errors
    assert "huge.jsonl" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("empty.jsonl", b"", "empty.jsonl is empty"), ("notes.txt", b"hello", "notes.txt")],
)
def test_unusable_upload_is_refused_by_name(
    client_for, owner, project, django_capture_on_commit_callbacks, name, content, expected
):
    response = _upload(
        client_for(owner), project, name, content, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert any(expected in e for e in errors), errors
    assert not ImportJob.objects.exists()


def test_annotator_cannot_upload(client_for, teammate, project, django_capture_on_commit_callbacks):
    response = _upload(
        client_for(teammate),
        project,
        "news.jsonl",
        GOOD_AND_BAD,
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_csv_export_downloads_the_items(client_for, owner, project):
    url = reverse("workbench:project_export", args=[project.pk])
    response = client_for(owner).get(url, {"format": "csv", "include_annotations": "on"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="news-topics-')
    assert response["Content-Disposition"].endswith('.csv"')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    texts = {row.get("text") for row in csv.DictReader(io.StringIO(body))}
    assert {"Shares rose sharply.", "A late goal won it.", "A new chip."} <= texts


def test_only_labelled_export_leaves_out_unanswered_items(client_for, owner, teammate, project):
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(
        project=project, item=item, user=teammate, answer={"topic": "business"}
    )
    url = reverse("workbench:project_export", args=[project.pk])
    response = client_for(owner).get(url, {"format": "jsonl", "only_labeled": "on"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1
    assert item.data["text"] in lines[0]


def test_conll_is_offered_only_for_span_projects(client_for, owner, project):
    url = reverse("workbench:project_export", args=[project.pk])
    page = client_for(owner).get(url)
    assert [value for value, _ in page.context["form"].fields["format"].choices] == [
        "jsonl",
        "csv",
        "labelstudio",
    ]
    refused = client_for(owner).get(url, {"format": "conll"})
    assert refused.status_code == 400
    assert "format" in refused.context["form"].errors


def test_annotator_cannot_export(client_for, teammate, project):
    url = reverse("workbench:project_export", args=[project.pk])
    assert client_for(teammate).get(url, {"format": "csv"}).status_code == 404
