"""The onboarding checklist: the built-in guides (markdown files in network/guides/, each
with a small header: title, version, order, minutes) and which a member has read. A
completion counts for the guide's version: a rewritten guide (new version) is unread."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError
from trainerdesk.lib.markup import render_markdown
from trainerdesk.network.models import GuideCompletion, Member

GUIDES_DIR = Path(__file__).resolve().parent.parent / "guides"


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    version: int
    order: int
    minutes: int
    body: str

    def html(self) -> str:
        return render_markdown(self.body)


def _parse(path: Path) -> Guide:
    raw = path.read_text(encoding="utf-8")
    _, header, body = raw.split("---\n", 2)
    meta = dict(line.split(": ", 1) for line in header.strip().splitlines())
    return Guide(
        slug=path.stem,
        title=meta["title"],
        version=int(meta["version"]),
        order=int(meta["order"]),
        minutes=int(meta["minutes"]),
        body=body.strip(),
    )


@cache
def guides() -> tuple[Guide, ...]:
    return tuple(sorted((_parse(p) for p in GUIDES_DIR.glob("*.md")), key=lambda g: g.order))


def guide(slug: str) -> Guide | None:
    return next((g for g in guides() if g.slug == slug), None)


@dataclass(frozen=True)
class ChecklistRow:
    guide: Guide
    done: bool


def onboarding_checklist(member: Member) -> list[ChecklistRow]:
    done = set(member.guides_done.values_list("guide", "guide_version"))
    return [ChecklistRow(g, (g.slug, g.version) in done) for g in guides()]


def onboarding_progress(member: Member) -> tuple[int, int]:
    rows = onboarding_checklist(member)
    return sum(r.done for r in rows), len(rows)


def complete_guide(*, member: Member, slug: str, by: Any) -> GuideCompletion:
    if by is None or by.pk != member.user_id:
        raise ConflictError("only the member marks their own guides as read")
    found = guide(slug)
    if found is None:
        raise ConflictError(f"guide: no guide {slug!r}")
    existing = member.guides_done.filter(guide=slug, guide_version=found.version).first()
    if existing:
        return existing  # reading it twice is fine and records nothing new
    try:
        with transaction.atomic():
            row = GuideCompletion.objects.create(
                member=member, guide=slug, guide_version=found.version
            )
            audit.record(
                action="network.guide.complete",
                obj=row,
                by=by,
                changes={"guide": slug, "version": found.version},
            )
    except IntegrityError:  # a double click raced us to it
        return member.guides_done.get(guide=slug, guide_version=found.version)
    return row
