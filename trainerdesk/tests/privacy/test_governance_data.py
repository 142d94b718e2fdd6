"""Governance records name their actor: an access request lists them, an erasure keeps
them (EU AI Act record-keeping) tied to the anonymised login, and says so."""

from trainerdesk.governance.models import DataGap
from trainerdesk.governance.services.documents import close_data_gap, create_data_gap
from trainerdesk.privacy import services
from trainerdesk.privacy.registry import Subject


def test_governance_records_are_listed_and_kept_through_an_erasure(project, owner, staff):
    gap = create_data_gap(project=project, title="No speakers over 70", by=owner)
    close_data_gap(gap=gap, resolution="Recorded 200 more", by=owner)
    subject = Subject(user_id=owner.pk)

    tables = {t.name: t for t in services.collect_tables(subject)}
    gaps = tables["governance.datagap"]
    assert [row[gaps.columns.index("title")] for row in gaps.rows] == ["No speakers over 70"]

    result = services.erase_subject(subject=subject, dry_run=False, by=staff)
    kept = {r["table"]: r for r in result["retained"]}
    assert kept["governance.datagap"]["count"] == 1
    assert "Art. 18" in kept["governance.datagap"]["reason"]
    gap.refresh_from_db()
    assert (gap.created_by_id, gap.closed_by_id, gap.title) == (
        owner.pk,
        owner.pk,
        "No speakers over 70",
    )
    assert DataGap.objects.count() == 1
