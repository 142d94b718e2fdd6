"""Exports must not hide disagreement: COCO/CoNLL leave out (and list) items with no final
answer, every page shows the same final answer, and a CSV export reads back as the same
items."""

import csv
import io

import orjson
import pytest
from django.core.management import call_command
from django.urls import reverse

from trainerdesk.quality import services as quality
from trainerdesk.quality.models import QualitySettings
from trainerdesk.workbench import formats, services
from trainerdesk.workbench.models import Annotation

pytestmark = pytest.mark.django_db

API = "/api/v1"
SPANS = {
    "fields": [
        {
            "name": "ents",
            "type": "spans",
            "source": "text",
            "labels": [{"value": "PER", "hotkey": "p"}, {"value": "DATE", "hotkey": "d"}],
        }
    ]
}
TIED = "Ada spoke on Tuesday."
AGREED = "Bob left."
UNTOUCHED = "Nobody yet."


def _span(text: str, piece: str, label: str) -> dict:
    start = text.index(piece)
    return {"start": start, "end": start + len(piece), "label": label}


def _by_text(project) -> dict:
    return {item.data["text"]: item for item in project.items.all()}


@pytest.fixture
def spans_project(org, owner, teammate):
    """Overlap 2. TIED: teammate marks Ada (PER), owner marks Tuesday (DATE): a tie, so no
    final answer. AGREED: both mark Bob. UNTOUCHED: nobody answered."""
    project = services.create_project(
        organization=org, created_by=owner, name="People", label_schema=SPANS, overlap=2
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project,
        items=[{"text": t} for t in (TIED, AGREED, UNTOUCHED)],
        by=project.created_by,
    )
    items = _by_text(project)
    for user, text, piece, label in [
        (teammate, TIED, "Ada", "PER"),
        (owner, TIED, "Tuesday", "DATE"),
        (teammate, AGREED, "Bob", "PER"),
        (owner, AGREED, "Bob", "PER"),
    ]:
        answer = {"ents": [_span(text, piece, label)]}
        services.submit_annotation(project=project, item=items[text], user=user, answer=answer)
    return project


def _body(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


def _conll(raw: bytes) -> list[tuple[list[str], list[str]]]:
    return list(formats.read_conll(io.BytesIO(raw)))


def test_conll_export_leaves_out_a_tie_and_lists_it_on_page_api_and_cli(
    spans_project, owner, client_for, capsys
):
    client = client_for(owner)
    items = _by_text(spans_project)
    url = reverse("workbench:project_export", args=[spans_project.pk])
    for raw in (
        _body(client.get(url, {"format": "conll", "labels": "final"})),
        _body(client.get(f"{API}/projects/{spans_project.pk}/export", {"format": "conll"})),
    ):
        assert raw.startswith(b"-DOCSTART- -X- O\n\n")
        # Only the agreed item; the tie is not an all-O block saying "no entities here".
        assert _conll(raw) == [(["Bob", "left", "."], ["B-PER", "O", "O"])]
    # The export page says which items a final-label CoNLL export leaves out, and why.
    page = client.get(url).content.decode()
    assert "CoNLL with final labels leaves out 2 items" in page
    assert f"item {items[TIED].pk}</a>: no final answer" in page
    assert f"item {items[UNTOUCHED].pk}</a>: no answers yet" in page
    # So does the API, and the CLI on stderr.
    listed = client.get(
        f"{API}/projects/{spans_project.pk}/export/left-out", {"format": "conll"}
    ).json()
    assert listed["count"] == 2
    assert [e["item_id"] for e in listed["left_out"]] == [items[TIED].pk, items[UNTOUCHED].pk]
    call_command("export", str(spans_project.pk), "--format", "conll", "--labels", "final")
    err = capsys.readouterr().err
    assert "Left out of the file (2)" in err
    assert f"item {items[TIED].pk}: no final answer" in err


def test_a_large_project_links_to_the_left_out_list_instead(
    spans_project, owner, client_for, monkeypatch
):
    from trainerdesk.workbench import views

    monkeypatch.setattr(views, "LEFT_OUT_ON_PAGE_MAX_ITEMS", 2)
    client = client_for(owner)
    page = client.get(reverse("workbench:project_export", args=[spans_project.pk]))
    href = f"/api/v1/projects/{spans_project.pk}/export/left-out?format=conll"
    assert f'href="{href}"' in page.content.decode()
    assert client.get(href).json()["count"] == 2


def test_every_annotation_gives_one_conll_block_per_annotation(
    spans_project, owner, client_for, capsys
):
    tie_blocks = [
        (["Ada", "spoke", "on", "Tuesday", "."], ["B-PER", "O", "O", "O", "O"]),
        (["Ada", "spoke", "on", "Tuesday", "."], ["O", "O", "O", "B-DATE", "O"]),
    ]
    bob = (["Bob", "left", "."], ["B-PER", "O", "O"])
    expected = [*tie_blocks, bob, bob]
    client = client_for(owner)
    url = reverse("workbench:project_export", args=[spans_project.pk])
    assert _conll(_body(client.get(url, {"format": "conll", "labels": "annotations"}))) == expected
    api = client.get(
        f"{API}/projects/{spans_project.pk}/export", {"format": "conll", "labels": "annotations"}
    )
    assert _conll(_body(api)) == expected
    call_command("export", str(spans_project.pk), "--format", "conll", "--labels", "annotations")
    assert _conll(capsys.readouterr().out.encode()) == expected
    listed = client.get(
        f"{API}/projects/{spans_project.pk}/export/left-out",
        {"format": "conll", "labels": "annotations"},
    ).json()
    assert [e["reason"] for e in listed["left_out"]] == ["no answers yet"]


def test_left_out_list_is_for_managers_only(spans_project, teammate, outsider, client_for):
    for user in (teammate, outsider):
        response = client_for(user).get(
            f"{API}/projects/{spans_project.pk}/export/left-out", {"format": "conll"}
        )
        assert response.status_code == 404


# --- one final answer everywhere --------------------------------------------------------------


@pytest.fixture
def tied(project, owner, teammate):
    """The topic project at overlap 2: "Shares" answered business by teammate and sport by
    owner (a tie), "goal" answered sport by both."""
    project = services.update_project(project=project, by=owner, overlap=2)
    items = {item.data["text"]: item for item in project.items.all()}
    for user, text, topic in [
        (teammate, "Shares rose sharply.", "business"),
        (owner, "Shares rose sharply.", "sport"),
        (teammate, "A late goal won it.", "sport"),
        (owner, "A late goal won it.", "sport"),
    ]:
        services.submit_annotation(
            project=project, item=items[text], user=user, answer={"topic": topic}
        )
    return project, items


def _table_finals(client, project) -> dict[str, str]:
    """{item text: its "Final answer" cell} from the data manager's table."""
    page = client.get(reverse("workbench:data_manager", args=[project.pk])).content.decode()
    out = {}
    for text in ("Shares rose sharply.", "A late goal won it."):
        row = page[page.index(text) :]
        row = row[: row.index("</tr>")]
        shown = [topic for topic in ("business", "sport") if f"topic: {topic}" in row]
        out[text] = shown[0] if shown else "—"
    return out


def _export_finals(client, project) -> dict[str, str]:
    url = reverse("workbench:project_export", args=[project.pk])
    lines = _body(client.get(url, {"format": "jsonl", "labels": "final"})).splitlines()
    records = [orjson.loads(line) for line in lines]
    return {r["data"]["text"]: (r.get("final") or {}).get("topic", "—") for r in records}


def test_a_tie_has_no_final_answer_on_the_items_page_item_page_and_export(
    tied, owner, teammate, client_for
):
    project, items = tied
    client = client_for(owner)
    expected = {"Shares rose sharply.": "—", "A late goal won it.": "sport"}
    # Before: the Items page showed the first annotator's "business" for the tie.
    assert _table_finals(client, project) == expected
    assert {k: v for k, v in _export_finals(client, project).items() if k in expected} == expected
    item_page = client.get(
        reverse("workbench:item_detail", args=[project.pk, items["Shares rose sharply."].pk])
    ).content.decode()
    assert "Final answer (Reviewer" in item_page and "none yet" in item_page
    # An annotator sees their own work, not the final answer summing up everyone's.
    own = client_for(teammate).get(
        reverse("workbench:item_detail", args=[project.pk, items["A late goal won it."].pk])
    )
    assert own.status_code == 200 and "Final answer" not in own.content.decode()
    # Marking gold uses the same final answer: a tie has none to use as the reference.
    marked, missing = services.mark_gold(
        project=project, item_ids=[i.pk for i in items.values()], by=owner
    )
    assert set(missing) == {items["Shares rose sharply."].pk, items["A new chip."].pk}
    assert marked == 1


def test_a_reviewers_fix_is_the_final_answer_everywhere(tied, owner, client_for):
    project, items = tied
    rule = quality.settings_for(project).final_label_rule
    assert rule == QualitySettings.FinalLabelRule.REVIEWER
    annotation = Annotation.objects.filter(item=items["A late goal won it."]).first()
    quality.record_review(
        project=project,
        annotation=annotation,
        reviewer=owner,
        decision="fixed",
        fixed_answer={"topic": "business"},
    )
    client = client_for(owner)
    # Before: the Items page kept the majority (sport) while the export wrote the fix.
    assert _table_finals(client, project)["A late goal won it."] == "business"
    assert _export_finals(client, project)["A late goal won it."] == "business"


def test_dawid_skene_finals_match_the_export_and_follow_new_answers(
    tied, owner, teammate, client_for
):
    project, items = tied
    quality.update_quality_settings(project=project, final_label_rule="dawid_skene", by=owner)
    client = client_for(owner)
    texts = ("Shares rose sharply.", "A late goal won it.")

    def both():
        exported = _export_finals(client, project)
        return _table_finals(client, project), {t: exported[t] for t in texts}

    table, exported = both()
    assert table == exported
    # The fit is kept between pages only while the answers stay the same.
    services.submit_annotation(
        project=project,
        item=items["Shares rose sharply."],
        user=teammate,
        answer={"topic": "sport"},
    )
    table, exported = both()
    assert table == exported == {"Shares rose sharply.": "sport", "A late goal won it.": "sport"}


# --- CSV: the page's words, the file, and a round trip -----------------------------------------


def test_csv_export_has_the_final_column_and_rows_the_page_promises(tied, owner, client_for):
    project, _items = tied
    client = client_for(owner)
    url = reverse("workbench:project_export", args=[project.pk])
    page = client.get(url).content.decode()
    assert "one row per annotation (per item for final labels only)" in page
    assert "final.&lt;field&gt;" in page
    raw = _body(client.get(url, {"format": "csv", "labels": "both"}))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    header = list(rows[0])
    assert "final.topic" in header and "answer.topic" in header
    shares = [r for r in rows if r["text"] == "Shares rose sharply."]
    assert [r["annotation.annotator"] for r in shares] == ["teammate", "owner"]
    assert {r["final.topic"] for r in shares} == {""}  # the tie: no final answer
    goal = [r for r in rows if r["text"] == "A late goal won it."]
    assert {r["final.topic"] for r in goal} == {"sport"}
    final_only = _body(client.get(url, {"format": "csv", "labels": "final"})).decode()
    assert len(final_only.splitlines()) == 1 + project.items.count()  # one row per item


def test_a_csv_export_reimports_as_the_same_items(tied, owner, org, client_for):
    project, _items = tied
    services.add_items(
        project=project,
        items=[{"text": "Carried ids.", "external_id": "e-1", "priority": 5}],
        by=project.created_by,
    )
    url = reverse("workbench:project_export", args=[project.pk])
    raw = _body(client_for(owner).get(url, {"format": "csv", "labels": "both"}))
    # Before: annotator, skipped, lead_time and created_at came back as item data, one
    # item per annotation row.
    copy = services.create_project(
        organization=org, created_by=owner, name="Copy", label_schema=project.label_schema
    )
    result = services.import_stream(project=copy, fp=io.BytesIO(raw), fmt="csv")
    assert result.errors == []

    def items_of(p):
        return sorted(
            ((i.external_id, i.priority, i.data) for i in p.items.all()), key=lambda t: t[2]["text"]
        )

    assert items_of(copy) == items_of(project)
    assert copy.items.count() == project.items.count()
    # Importing it again into the same project adds nothing.
    again = services.import_stream(project=copy, fp=io.BytesIO(raw), fmt="csv")
    assert again.added == 0 and copy.items.count() == project.items.count()
