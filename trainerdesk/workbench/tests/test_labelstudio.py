"""Label Studio files made by a real Label Studio 1.23.2 (bench/labelstudio/make_fixtures.py
drove its API: 4 projects, two annotators, every export format) imported through the service.
"""

from collections import Counter
from pathlib import Path

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from trainerdesk.workbench import formats, labelstudio, services
from trainerdesk.workbench.models import Annotation, ImportJob, Item, Prediction

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"

# The TrainerDesk schema for each fixture project: field names are the LS control names.
SCHEMAS = {
    "classification": [
        {"name": "sentiment", "type": "choice", "source": "text",
         "labels": ["positive", "negative", "neutral"]},
    ],
    "spans": [{"name": "entities", "type": "spans", "source": "text",
               "labels": ["PER", "ORG", "LOC"]}],
    "boxes": [{"name": "objects", "type": "boxes", "source": "image",
               "labels": ["car", "person"]}],
    "pairwise": [{"name": "preference", "type": "pairwise", "sources": ["left", "right"]}],
}  # fmt: skip
# (tasks, annotations) in Label Studio (exported with download_all_tasks=true; task 4 of
# classification has no annotation: one JSON_MIN/CSV row with empty annotation columns).
COUNTS = {"classification": (4, 5), "spans": (2, 4), "boxes": (3, 5), "pairwise": (3, 6)}


@pytest.fixture
def ls_project(org, owner):
    def make(kind):
        return services.create_project(
            organization=org,
            created_by=owner,
            name=f"LS {kind}",
            label_schema={"fields": SCHEMAS[kind]},
            overlap=2,
        )

    return make


def _import(project, name):
    path = FIXTURES / name
    with path.open("rb") as fp:
        return services.import_stream(project=project, fp=fp, fmt=formats.detect_format(name))


def _answers(project, field):
    return Counter(
        orjson.dumps(a.answer[field], option=orjson.OPT_SORT_KEYS).decode()
        for a in Annotation.objects.filter(project=project)
    )


@pytest.mark.parametrize("kind", list(SCHEMAS))
@pytest.mark.parametrize("export", ["json", "snapshot.json", "min.json", "csv"])
def test_every_label_studio_export_imports_one_item_per_task(ls_project, kind, export):
    project = ls_project(kind)
    result = _import(project, f"{kind}.{export}")
    tasks, annotations = COUNTS[kind]
    assert result.errors == []
    assert (result.added, result.annotations) == (tasks, annotations)
    assert Item.objects.filter(project=project).count() == tasks
    assert Annotation.objects.filter(project=project).count() == annotations
    # Nothing of an annotation leaks into the item data (the old reader stored it there).
    for data in Item.objects.filter(project=project).values_list("data", flat=True):
        assert not set(data) & {"annotator", "annotation_id", "lead_time", "id", "updated_at"}
        assert not set(data) & {f["name"] for f in SCHEMAS[kind]}


@pytest.mark.parametrize("export", ["json", "min.json", "csv"])
def test_labels_come_through(ls_project, export):
    project = ls_project("classification")
    _import(project, f"classification.{export}")
    assert _answers(project, "sentiment") == Counter(
        {'"negative"': 2, '"positive"': 2, '"neutral"': 1}
    )
    pair = ls_project("pairwise")
    _import(pair, f"pairwise.{export}")
    # left is the first data key of the field's sources, right the second.
    assert _answers(pair, "preference") == Counter({'{"preferred":0}': 3, '{"preferred":1}': 3})
    spans = ls_project("spans")
    _import(spans, f"spans.{export}")
    labels = Counter(s["label"] for a in Annotation.objects.filter(project=spans)
                     for s in a.answer["entities"])  # fmt: skip
    assert labels == Counter({"PER": 2, "LOC": 2, "ORG": 3})


def test_json_export_predictions_as_ids_are_skipped_with_one_warning(
    ls_project, owner, django_capture_on_commit_callbacks, client_for
):
    project = ls_project("classification")
    content = (FIXTURES / "classification.json").read_bytes()
    upload = SimpleUploadedFile("classification.json", content)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(project=project, upload=upload, by=owner)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.items_added, job.annotations_added, job.error_count) == (4, 5, 0)
    assert Prediction.objects.filter(item__project=project).count() == 0
    assert len(job.warnings) == 1
    warning = job.warnings[0]
    assert "bare ids" in warning and "snapshot" in warning and "2 row(s)" in warning
    client = client_for(owner)
    page = client.get(f"/projects/{project.pk}/imports/{job.pk}/")
    assert escape(warning) in page.content.decode()
    api = client.get(f"/api/v1/projects/{project.pk}/imports/{job.pk}")
    assert api.json()["warnings"] == [warning]


def test_snapshot_export_brings_the_full_predictions(ls_project):
    project = ls_project("classification")
    result = _import(project, "classification.snapshot.json")
    assert result.warnings == []
    preds = Prediction.objects.filter(item__project=project)
    assert [(p.model_version, p.answer) for p in preds] == [("m1", {"sentiment": "neutral"})] * 2


@pytest.mark.parametrize("export", ["json", "min.json", "csv"])
def test_rectangle_image_sizes_are_kept_for_the_coco_export(ls_project, export):
    project = ls_project("boxes")
    _import(project, f"boxes.{export}")
    sizes = sorted(
        (d["image"], d["image_width"], d["image_height"])
        for d in Item.objects.filter(project=project).values_list("data", flat=True)
    )
    assert [s[1:] for s in sizes] == [(640, 480), (800, 600), (1024, 768)]
    coco = orjson.loads(
        b"".join(
            services.export_stream(
                # Every annotation: the two annotators' boxes differ, so most of these
                # images have no final answer and a final-only export leaves them out.
                project=project,
                fmt="coco",
                only_labeled=False,
                include_annotations=True,
                include_final=False,
                by=project.created_by,
            )
        )
    )
    assert coco["skipped"] == [] or all(
        s["reason"] != "image size unknown" for s in coco["skipped"]
    )
    assert sorted({(im["width"], im["height"]) for im in coco["images"]}) == [
        (640, 480),
        (800, 600),
        (1024, 768),
    ]


def test_json_min_whose_columns_are_not_fields_is_refused_naming_the_json_export(ls_project):
    project = ls_project("classification")
    raw = (FIXTURES / "classification.min.json").read_bytes().replace(b'"sentiment"', b'"mood"')
    with pytest.raises(formats.FormatError, match='Label Studio\'s "JSON" export'):
        list(
            formats.read_items(io_bytes(raw), "labelstudio", fields=project.label_schema["fields"])
        )
    assert Item.objects.filter(project=project).count() == 0


def test_json_min_rows_of_one_task_apart_are_refused_not_duplicated(ls_project):
    project = ls_project("classification")
    rows = orjson.loads((FIXTURES / "classification.min.json").read_bytes())
    rows = [rows[0], rows[2], rows[1]]  # task 1, task 2, task 1 again
    out = list(
        formats.read_items(
            io_bytes(orjson.dumps(rows)), "labelstudio", fields=project.label_schema["fields"]
        )
    )
    assert [type(r).__name__ for r in out] == ["Row", "Row", "RowError"]
    assert "not next to each other" in out[2].message


def io_bytes(raw: bytes):
    import io

    return io.BytesIO(raw)


def test_completed_by_is_an_email_and_final_answers_are_predictions(ls_project, owner, teammate):
    project = ls_project("classification")
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    _import(project, "classification.json")  # annotators "2" and "3" (LS user ids)
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(
        project=project, item=item, answer={"sentiment": "neutral"}, user=teammate
    )

    def tasks(include_annotations):
        stream = services.export_stream(
            project=project,
            fmt="labelstudio",
            only_labeled=False,
            include_annotations=include_annotations,
            by=project.created_by,
        )
        return orjson.loads(b"".join(stream))

    people = Counter(
        orjson.dumps(a["completed_by"]).decode() for t in tasks(True) for a in t["annotations"]
    )
    assert people == Counter(
        {
            '{"email":"2@users.trainerdesk.invalid"}': 3,
            '{"email":"3@users.trainerdesk.invalid"}': 2,
            '{"email":"teammate@example.org"}': 1,
        }
    )
    final_only = tasks(False)
    assert all(t["annotations"] == [] for t in final_only)
    versions = Counter(p["model_version"] for t in final_only for p in t["predictions"])
    # Overlap 2: only task 2 has two agreeing answers, so only it has a final answer.
    assert versions == Counter({labelstudio.FINAL_MODEL_VERSION: 1})


def test_the_cli_prints_the_predictions_warning_once(ls_project):
    import io

    from django.core.management import call_command

    project = ls_project("classification")
    out, err = io.StringIO(), io.StringIO()
    path = FIXTURES / "classification.json"
    call_command("import", str(project.pk), str(path), "--no-progress", stdout=out, stderr=err)
    assert "4 added" in out.getvalue() and "5 annotations" in out.getvalue()
    warnings = [line for line in err.getvalue().splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "bare ids" in warnings[0] and "snapshot" in warnings[0]


def test_csv_export_for_another_project_is_refused_naming_the_json_export():
    raw = (FIXTURES / "classification.csv").read_bytes().replace(b'"sentiment"', b'"mood"', 1)
    with pytest.raises(formats.FormatError, match='mood.*Label Studio\'s "JSON" export'):
        list(formats.read_items(io_bytes(raw), "csv", fields=SCHEMAS["classification"]))


def test_csv_column_that_differs_within_a_task_is_refused_not_stored_as_data():
    # A control the project has no field for ("comment") looks like data in a CSV, until two
    # annotations of a task disagree on it: then that task is refused, by line and column.
    lines = (FIXTURES / "classification.csv").read_bytes().decode().splitlines()
    rows = [lines[0] + ',"comment"'] + [f'{line},"note {i}"' for i, line in enumerate(lines[1:])]
    out = list(
        formats.read_items(
            io_bytes("\n".join(rows).encode()), "csv", fields=SCHEMAS["classification"]
        )
    )
    errors = [r for r in out if isinstance(r, formats.RowError)]
    assert [e.line for e in errors] == [3, 5]
    assert all("comment differ between rows of the same task" in e.message for e in errors)


def test_our_own_csv_export_is_not_taken_for_label_studios():
    assert labelstudio.is_min_layout(["annotation_id", "annotator", "id", "text"])
    assert not labelstudio.is_min_layout(["id", "external_id", "annotator", "answer.topic"])
    assert not labelstudio.is_min_layout(["id", "annotator", "text"])  # plain data columns
