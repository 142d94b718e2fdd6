"""Project progress: the counts for one person and the progress page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from trainerdesk.workbench.models import Annotation, Project

# --- progress and export -----------------------------------------------------------------


@dataclass
class Progress:
    total: int
    complete: int
    mine: int
    mine_today: int

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0


def project_progress(*, project: Project, user) -> Progress:
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Annotation.objects.filter(project=project, annotator=user, skipped=False)
    return Progress(
        total=project.items.count(),
        complete=project.items.complete(project.overlap).count(),
        mine=mine.count(),
        mine_today=mine.filter(created_at__gte=today).count(),
    )


# --- the progress page ---------------------------------------------------------------------

THROUGHPUT_DAYS = 30


@dataclass
class AnnotatorProgress:
    username: str
    done: int
    skipped: int
    median_lead_time: float | None  # seconds
    week_hours: float


@dataclass
class ProgressOverview:
    total: int
    complete: int
    annotators: list[AnnotatorProgress]
    days: list[tuple[date, int]]
    week_start: datetime

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0

    def chart_data(self) -> dict:
        return {
            "labels": [day.isoformat() for day, _ in self.days],
            "counts": [n for _, n in self.days],
        }

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "complete": self.complete,
            "percent": self.percent,
            "week_start": self.week_start.isoformat(),
            "annotators": [vars(a).copy() for a in self.annotators],
            "throughput": [{"date": d.isoformat(), "answers": n} for d, n in self.days],
        }


def progress_overview(
    *, project: Project, user, everyone: bool, now: datetime | None = None
) -> ProgressOverview:
    """Items done / total; per annotator: answers, skips, median lead time and active
    hours this ISO week (sum of lead_time since Monday 00:00 local time); answers per day
    over the last 30 days. With everyone=False only the user's own row and answers."""
    now = timezone.localtime(now or timezone.now())
    tz = now.tzinfo
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    week_start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
    first_day = today - timedelta(days=THROUGHPUT_DAYS - 1)
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=tz)
    annotations = Annotation.objects.filter(project=project)
    if not everyone:
        annotations = annotations.filter(annotator=user)
    grouped = list(annotations.per_annotator(week_start=week_start))
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[row["annotator_id"] for row in grouped])
        .values_list("pk", "username")
    )
    rows = []
    for row in sorted(grouped, key=lambda r: names[r["annotator_id"]]):
        median = annotations.filter(annotator_id=row["annotator_id"]).median_lead_time()
        rows.append(
            AnnotatorProgress(
                username=names[row["annotator_id"]],
                done=row["done"],
                skipped=row["skipped"],
                median_lead_time=None if median is None else round(median, 1),
                week_hours=round((row["week_seconds"] or 0) / 3600, 2),
            )
        )
    per_day = annotations.answers_per_day(since=since, tzinfo=tz)
    days = [
        (first_day + timedelta(days=n), per_day.get(first_day + timedelta(days=n), 0))
        for n in range(THROUGHPUT_DAYS)
    ]
    return ProgressOverview(
        total=project.items.count(),
        complete=project.items.complete(project.overlap).count(),
        annotators=rows,
        days=days,
        week_start=week_start,
    )
