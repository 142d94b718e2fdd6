"""A workbench user's comments are in their bundle and erased with them; their annotations
stay (work for the project, tied to the anonymised login)."""

from trainerdesk.privacy import services
from trainerdesk.privacy.registry import ERASED, Subject
from trainerdesk.tests.privacy.dump import dump_database, leaks
from trainerdesk.workbench.models import Comment

NOTE = "Teammate Tessaly: my home number is on the wiki"


def test_comments_are_exported_then_erased(project, teammate, owner, staff):
    from trainerdesk.workbench import services as wb

    item = project.items.first()
    wb.post_comment(project=project, item=item, author=teammate, body=NOTE)
    tables = {t.name: t for t in services.collect_tables(Subject(user_id=teammate.pk))}
    assert NOTE in [row[3] for row in tables["workbench.comment"].rows]
    assert leaks(dump_database(), [NOTE]) == [NOTE]
    result = services.erase_subject(subject=Subject(user_id=teammate.pk), dry_run=False, by=staff)
    assert result["counts"]["workbench.comment"] == 1
    assert Comment.objects.get(item=item).body == ERASED
    assert leaks(dump_database(), [NOTE, "teammate@example.org"]) == []
