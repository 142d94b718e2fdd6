"""The progress page's counters (ProgressCount) follow every write of annotations: they
equal a recount from the annotations after submits, skips, changed answers, imports,
withdrawals and deleted items, and the page reads them."""

import io

import orjson
import pytest
from django.core.management import call_command

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, ProgressCount

pytestmark = pytest.mark.django_db


def _counters(project):
    return sorted(
        (row.annotator_key, row.day, row.done, row.skipped, round(row.seconds, 6))
        for row in ProgressCount.objects.filter(project=project)
        if row.done or row.skipped or row.seconds
    )


def test_counters_equal_a_recount_after_a_mix_of_writes(project, owner, teammate):
    services.add_items(project=project, items=[{"text": f"more {n}"} for n in range(6)], by=owner)
    items = list(project.items.order_by("id"))
    submit = services.submit_annotation
    submit(project=project, item=items[0], user=teammate, answer={"topic": "tech"}, lead_time=4)
    submit(project=project, item=items[1], user=teammate, skipped=True, lead_time=2.5)
    submit(project=project, item=items[1], user=teammate, answer={"topic": "sport"}, lead_time=1)
    submit(project=project, item=items[2], user=teammate, answer={"topic": "tech"})
    submit(project=project, item=items[2], user=teammate, skipped=True, lead_time=7)
    submit(project=project, item=items[3], user=owner, answer={"topic": "tech"}, lead_time=9)
    sent_back = submit(
        project=project, item=items[4], user=owner, answer={"topic": "sport"}, lead_time=3
    ).annotation
    submit(project=project, item=items[5], user=owner, answer={"topic": "tech"}, lead_time=6)
    rows = [
        {"data": {"text": "in"}, "annotations": [{"answer": {"topic": "tech"}, "lead_time": 8}]},
        {"data": {"text": "in, skip"}, "annotations": [{"answer": {}, "skipped": True}]},
    ]
    lines = b"".join(orjson.dumps(row) + b"\n" for row in rows)
    services.import_stream(project=project, fp=io.BytesIO(lines), fmt="jsonl")
    services.withdraw_annotation(project=project, annotation=sent_back, by=owner)
    services.delete_items(project=project, item_ids=[items[5].pk], by=owner)
    assert Annotation.objects.filter(project=project).count() == 6

    kept = _counters(project)
    overview = services.progress_overview(project=project, user=owner, everyone=True)
    call_command("recount_progress", str(project.pk), stdout=io.StringIO())

    assert kept == _counters(project)
    assert sum(done for _, _, done, _, _ in kept) == 4  # teammate 2, owner 1, imported 1
    assert services.progress_overview(project=project, user=owner, everyone=True) == overview
    rows_by_name = {row.username: row for row in overview.annotators}
    assert (rows_by_name["teammate"].done, rows_by_name["teammate"].skipped) == (2, 1)
    assert (rows_by_name["owner"].done, rows_by_name["owner"].skipped) == (1, 0)
    assert sum(n for _, n in overview.days) == 4


def test_the_page_reads_the_counters(project, owner, teammate):
    item = project.items.first()
    services.submit_annotation(
        project=project, item=item, user=teammate, answer={"topic": "tech"}, lead_time=5
    )
    ProgressCount.objects.filter(project=project).update(done=41)

    overview = services.progress_overview(project=project, user=owner, everyone=True)

    assert [row.done for row in overview.annotators] == [41]
    assert sum(n for _, n in overview.days) == 41
