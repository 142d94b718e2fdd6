"""Project progress: the counts for one person and the progress page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.utils import timezone

from trainerdesk.workbench.models import Annotation, ProgressCount, Project

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
    # Counters per annotator and local day (services/progress_counts.py): a few rows,
    # where aggregating the annotations took 1.27 s at 500,000.
    counts = ProgressCount.objects.filter(project=project)
    annotations = Annotation.objects.filter(project=project)
    if not everyone:
        counts = counts.filter(annotator_key=user.pk)
        annotations = annotations.filter(annotator=user)
    grouped = [
        row
        for row in counts.exclude(annotator_key=0)
        .values("annotator_key")
        .annotate(
            done=Sum("done"),
            skipped=Sum("skipped"),
            week_seconds=Sum("seconds", filter=Q(day__gte=monday)),
        )
        .order_by()
        if row["done"] or row["skipped"]
    ]
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[row["annotator_key"] for row in grouped])
        .values_list("pk", "username")
    )
    rows = []
    for row in sorted(grouped, key=lambda r: names[r["annotator_key"]]):
        median = annotations.filter(annotator_id=row["annotator_key"]).median_lead_time()
        rows.append(
            AnnotatorProgress(
                username=names[row["annotator_key"]],
                done=row["done"],
                skipped=row["skipped"],
                median_lead_time=None if median is None else round(median, 1),
                week_hours=round((row["week_seconds"] or 0) / 3600, 2),
            )
        )
    per_day = dict(
        counts.filter(day__gte=first_day)
        .values("day")
        .annotate(n=Sum("done"))
        .order_by()
        .values_list("day", "n")
    )
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
