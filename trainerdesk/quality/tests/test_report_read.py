"""How the agreement report reads its input: the digest lines the database builds, and the
choice-only read (the database extracts each field's value) against decoding every
answer in Python, on answers that do and do not fit the schema."""

from datetime import UTC, datetime

import pytest

from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.jsonutil import iso_utc
from trainerdesk.quality import report
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import ItemAgreement
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item

SCHEMA = {
    "fields": [
        {"name": "topic", "type": "choice", "source": "text",
         "labels": [{"value": "business"}, {"value": "sport"}, {"value": "tech"}]},
        {"name": "tone", "type": "choice", "source": "text",
         "labels": [{"value": "calm"}, {"value": "1"}]},
    ]
}  # fmt: skip

# Per item: the annotators' answers (None: not annotated). Some do not fit the schema:
# unknown labels, a number where "1" is a label, null, a missing field, a list, unicode.
ANSWERS = [
    ({"topic": "business", "tone": "calm"}, {"topic": "business", "tone": "1"}, None),
    ({"topic": "sport"}, {"topic": "sport", "tone": 1}, {"topic": "tech", "tone": None}),
    ({"topic": "tech", "tone": "calm"}, {"topic": "techno"}, {"topic": ["tech"]}),
    ({"topic": "sport", "tone": "1"}, {"topic": "sport", "tone": "1"}, {"topic": "sp\u00f6rt"}),
    ({"topic": "business"}, {"topic": "business", "tone": True}, {"tone": "calm"}),
]


def _project(org, owner):
    project = services.create_project(
        organization=org, created_by=owner, name="Two choices", label_schema=SCHEMA
    )
    valid = {"topic": "business", "tone": "calm"}
    rows = [
        {"data": {"text": f"text {n}"},
         "annotations": [{"answer": valid, "annotator": who}
                         for who, a in zip(("a", "b", ""), triple, strict=True) if a is not None]}
        for n, triple in enumerate(ANSWERS)
    ]  # fmt: skip
    assert services.add_items(project=project, items=rows, by=owner).added == len(ANSWERS)
    items = list(Item.objects.filter(project=project).order_by("id"))
    # Then the answers as stored by older schemas or other tools (imports check them now).
    for item, triple in zip(items, ANSWERS, strict=True):
        anns = Annotation.objects.filter(item=item).order_by("id")
        for ann, answer in zip(anns, [a for a in triple if a is not None], strict=True):
            Annotation.objects.filter(pk=ann.pk).update(answer=answer)
    # A reference on two items (accuracy and confusion read the whole answers there), a
    # user's own answer, an answer that is not an object and a skip, which is left out.
    Item.objects.filter(pk__in=[items[0].pk, items[3].pk]).update(
        reference={"topic": "business", "tone": "calm"}
    )
    project.overlap = 5  # room for the user's own answer beside the imported ones
    project.save(update_fields=["overlap"])
    services.submit_annotation(project=project, item=items[1], user=owner,
                               answer={"topic": "sport", "tone": "calm"})  # fmt: skip
    services.submit_annotation(project=project, item=items[2], user=owner, skipped=True)
    first = Annotation.objects.filter(item=items[4]).order_by("id").first()
    Annotation.objects.filter(pk=first.pk).update(answer=["business"])
    # One timestamp without microseconds: isoformat() leaves them out.
    Annotation.objects.filter(item=items[0]).update(
        updated_at=datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
    )
    return project


def _run(project, owner, captured):
    with captured(execute=True):
        rep = quality.start_agreement_report(project=project, by=owner)
    rep.refresh_from_db()
    assert rep.status == "done", rep.message
    rows = sorted(ItemAgreement.objects.filter(report=rep).values_list(
        "item_id", "field", "score", "n_annotators"))  # fmt: skip
    return rep, rows


def test_digest_lines_from_the_database_equal_iso_utc(
    org, owner, django_capture_on_commit_callbacks
):
    project = _project(org, owner)
    rep, _rows = _run(project, owner, django_capture_on_commit_callbacks)
    anns = Annotation.objects.filter(project=project, skipped=False).order_by("id")
    expected = lines_digest((a.pk, iso_utc(a.updated_at)) for a in anns)
    assert rep.digest == expected
    assert any(a.updated_at.microsecond == 0 for a in anns)
    assert any(a.updated_at.microsecond for a in anns)


def test_choice_columns_equal_decoding_each_answer(
    org, owner, django_capture_on_commit_callbacks, monkeypatch
):
    project = _project(org, owner)
    calls = []
    add_columns = report.ReportBuilder.add_choice_columns
    monkeypatch.setattr(report.ReportBuilder, "add_choice_columns",
                        lambda self, *a: calls.append(1) or add_columns(self, *a))  # fmt: skip
    fast, fast_rows = _run(project, owner, django_capture_on_commit_callbacks)
    assert calls, "the choice-only read was not used"
    monkeypatch.setattr(report.ReportBuilder, "choice_fields", lambda self: ())
    slow, slow_rows = _run(project, owner, django_capture_on_commit_callbacks)
    assert fast.results == slow.results
    assert fast.digest == slow.digest and fast_rows == slow_rows
    res = fast.results
    assert res["answers_not_objects"] == 1
    assert res["fields"]["topic"]["dropped"]["count"] == 3  # techno, a list, spört
    assert res["fields"]["tone"]["dropped"]["count"] == 2  # the number 1 and true
    assert res["reference"]["items_with_reference"] == 2
    assert res["reference"]["per_annotator"]["?"]["n"] == 1
    assert "?" in res["annotator_names"] and owner.username in res["annotator_names"]


@pytest.mark.parametrize("schema_fields", [["topic"], []])
def test_choice_fields_only_for_single_choice(schema_fields):
    specs = [report.FieldSpec(name=n, type="choice", labels=("x",)) for n in schema_fields]
    specs.append(report.FieldSpec(name="tags", type="choice", multiple=True, labels=("x",)))
    assert report.ReportBuilder(specs).choice_fields() == ()
    assert report.ReportBuilder(specs[:-1]).choice_fields() == tuple(schema_fields)
