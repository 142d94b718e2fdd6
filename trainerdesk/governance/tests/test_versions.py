"""Dataset versions through the services: build, stable ids, diff, reproducible export."""

import hashlib

import pytest

from trainerdesk.governance import manifest, services
from trainerdesk.governance.models import DatasetVersion
from trainerdesk.lib.errors import ConflictError, InvalidInput


def _make(project, name, by, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.create_version(project=project, name=name, tags=["b", "a"], by=by)
    version.refresh_from_db()
    assert version.status == DatasetVersion.Status.DONE, version.message
    return version


def test_build_records_every_labelled_item_and_a_stable_id(
    labelled, owner, django_capture_on_commit_callbacks
):
    v1 = _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    v2 = _make(labelled, "v2", owner, django_capture_on_commit_callbacks)
    assert v1.record_count == 2 and v1.tags == ["a", "b"]
    assert v1.version_id == v2.version_id  # same data, same id
    rows = services.read_version_records(v1)
    assert v1.version_id == manifest.version_id(rows)
    items = list(labelled.items.order_by("id"))
    assert [r[0] for r in rows] == [items[0].pk, items[1].pk]
    (first,) = [r for r in services.iter_manifest(v1) if r[0] == items[0].pk]
    assert first[2] == {"topic": "business"}


def test_version_id_matches_a_hand_built_record(
    labelled, owner, teammate, django_capture_on_commit_callbacks
):
    """Pins the record definition: anything engine-specific in it would break this on
    one of the two databases (run on PostgreSQL too, see the report)."""
    v = _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    items = list(labelled.items.order_by("id"))[:2]
    lines = []
    for item, topic in zip(items, ["business", "sport"], strict=True):
        payload = {
            "item": item.content_hash,
            "final": {"topic": topic},
            "annotators": [teammate.pk],
            "guideline_versions": [1],
            "reviews": [],
        }
        raw = manifest.canonical_json(payload)
        lines.append(f"{item.pk}\t{hashlib.sha256(raw).hexdigest()}\n")
    assert v.version_id == hashlib.sha256("".join(lines).encode()).hexdigest()


def test_diff_sees_a_new_answer_and_a_reviewer_fix(
    labelled, owner, teammate, django_capture_on_commit_callbacks
):
    from trainerdesk.quality.services import record_review
    from trainerdesk.workbench import services as wb

    v1 = _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    items = list(labelled.items.order_by("id"))
    wb.submit_annotation(project=labelled, item=items[2], user=teammate, answer={"topic": "tech"})
    annotation = items[0].annotations.get()
    record_review(
        project=labelled,
        annotation=annotation,
        reviewer=owner,
        decision="fixed",
        fixed_answer={"topic": "tech"},
    )
    v2 = _make(labelled, "v2", owner, django_capture_on_commit_callbacks)
    assert v2.version_id != v1.version_id
    d = services.diff_versions(old=v1, new=v2)
    assert d.added == [items[2].pk]
    assert d.removed == []
    # The default rule (reviewer) makes the fix the final answer.
    assert d.relabelled == [items[0].pk]
    assert dict(d.fields[0].transitions) == {("business", "tech"): 1, ("sport", "sport"): 1}
    assert d.unchanged == 1


def test_diff_refuses_versions_of_two_projects(
    labelled, owner, org, django_capture_on_commit_callbacks
):
    from trainerdesk.workbench import services as wb

    other = wb.create_project(
        organization=org, created_by=owner, name="Other", label_schema=labelled.label_schema
    )
    v1 = _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    v2 = _make(other, "v1", owner, django_capture_on_commit_callbacks)
    assert v2.record_count == 0
    with pytest.raises(InvalidInput, match="one project"):
        services.diff_versions(old=v1, new=v2)


def test_names_are_unique_per_project(labelled, owner, django_capture_on_commit_callbacks):
    _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    with pytest.raises(ConflictError, match="already has a version"):
        services.create_version(project=labelled, name="v1", by=owner)
    with pytest.raises(InvalidInput, match="name"):
        services.create_version(project=labelled, name="  ", by=owner)


def test_export_is_byte_identical_with_a_checksum(
    labelled, owner, django_capture_on_commit_callbacks
):
    v = _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    a = services.export_version(version=v, by=owner)
    b = services.export_version(version=v, by=owner)
    assert a.content == b.content and a.filename == b.filename
    assert a.sha256 == hashlib.sha256(a.content).hexdigest()
    assert a.checksum_file == f"{a.sha256}  {a.filename}\n".encode()
    lines = a.content.splitlines()
    assert len(lines) == 2 and b'"final":{"topic":"business"}' in lines[0]
    # Answers given after the version do not leak into its export.
    from trainerdesk.workbench import services as wb

    item = list(labelled.items.order_by("id"))[2]
    wb.submit_annotation(project=labelled, item=item, user=owner, answer={"topic": "tech"})
    assert services.export_version(version=v, by=owner).content == a.content


def test_tags_and_notes_are_audited(labelled, owner, django_capture_on_commit_callbacks):
    from trainerdesk.accounts.models import AuditEvent

    v = _make(labelled, "v1", owner, django_capture_on_commit_callbacks)
    services.update_version(version=v, tags=["release"], notes="first cut", by=owner)
    v.refresh_from_db()
    assert v.tags == ["release"] and v.notes == "first cut"
    actions = list(
        AuditEvent.objects.filter(project_id=labelled.pk, action__startswith="governance.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "governance.dataset_version.create",
        "governance.dataset_version.finish",
        "governance.dataset_version.update",
    ]
