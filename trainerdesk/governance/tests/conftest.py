import pytest

from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401 - the browser walk


@pytest.fixture
def labelled(project, teammate, owner):
    """The root project with two items answered by the teammate and one by the owner too."""
    from trainerdesk.workbench import services

    items = list(project.items.order_by("id"))
    services.set_project_member(project=project, user=owner, role="manager", by=owner)
    for item, topic in zip(items[:2], ["business", "sport"], strict=True):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )
    return project


# (sex, split, topic): F gets "sport" 2 of 6 times, M 5 of 6 (DI 0.4: fails the 4/5 rule).
AUDIT_ROWS = [
    *[("F", "train", t) for t in ["sport", "tech", "business", "tech"]],
    *[("F", "test", t) for t in ["sport", "tech"]],
    *[("M", "train", t) for t in ["sport", "sport", "sport", "tech", "sport"]],
    ("M", "test", "sport"),
]


@pytest.fixture
def audited(project, teammate, owner):
    """The root project plus twelve items with sex and split in their data, each answered
    once by the teammate (the root's three items stay unlabelled)."""
    from trainerdesk.workbench import services

    services.add_items(
        project=project,
        items=[
            {"text": f"row {i}", "sex": s, "split": sp} for i, (s, sp, _t) in enumerate(AUDIT_ROWS)
        ],
        by=owner,
    )
    items = list(project.items.filter(data__has_key="sex").order_by("id"))
    for item, (_s, _sp, topic) in zip(items, AUDIT_ROWS, strict=True):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )
    return project


# --- documents (test_documents*.py) -----------------------------------------------------------

# Final topics of the five labelled items: sport 3 of 5.
DOC_TOPICS = ["business", "sport", "tech", "sport", "sport"]


@pytest.fixture
def documented(project, teammate, owner, django_capture_on_commit_callbacks):
    """Five items labelled by the teammate under guideline v1, one also by the owner under
    v2, one review, a gold snapshot (17 of 20), an agreement report, a label-error run
    with two findings, a data gap, and version v1 built over all of it."""
    from django.utils import timezone

    from trainerdesk.governance import services
    from trainerdesk.quality.metrics import wilson_interval
    from trainerdesk.quality.models import (
        AgreementReport,
        GoldAccuracySnapshot,
        LabelErrorFinding,
        LabelErrorRun,
    )
    from trainerdesk.quality.services import record_review
    from trainerdesk.workbench import services as wb

    wb.update_project(project=project, overlap=2, by=owner)
    wb.add_items(project=project, items=[{"text": "Cup final."}, {"text": "Derby."}], by=owner)
    items = list(project.items.order_by("id"))
    anns = [
        wb.submit_annotation(project=project, item=item, user=teammate, answer={"topic": t})
        for item, t in zip(items, DOC_TOPICS, strict=True)
    ]
    wb.update_project(project=project, instructions="Pick the one main topic.", by=owner)
    project.refresh_from_db()
    wb.submit_annotation(project=project, item=items[0], user=owner, answer={"topic": "business"})
    record_review(
        project=project, annotation=anns[1].annotation, reviewer=owner, decision="accepted"
    )
    ci = wilson_interval(17, 20)
    GoldAccuracySnapshot.objects.create(
        project=project, annotator=teammate, created_by=owner, n=20, correct=17, accuracy=0.85,
        low=ci.low, high=ci.high, status="fail", passed=False, threshold=0.95, min_items=20,
        items_digest="d" * 64,
    )  # fmt: skip
    now = timezone.now()
    AgreementReport.objects.create(
        project=project, status="done", computed_at=now, finished_at=now, item_count=5,
        annotation_count=6, digest="a" * 64,
        results={"fields": {"topic": {
            "percent_agreement": {"value": 1.0}, "alpha": {"value": 0.7512},
            "fleiss_kappa": {"value": None, "reason": "one rater per item"},
        }}},
    )  # fmt: skip
    run = LabelErrorRun.objects.create(
        project=project, status="done", finished_at=now, field_name="topic",
        items_considered=5, issues_found=2, items_digest="b" * 64,
    )  # fmt: skip
    LabelErrorFinding.objects.create(
        run=run, item=items[2], given_label="tech", likely_label="sport", confidence_given=0.1,
        quality_score=0.1, rank=1, status="confirmed_error", corrected_label="sport",
    )  # fmt: skip
    LabelErrorFinding.objects.create(
        run=run, item=items[3], given_label="sport", likely_label="tech", confidence_given=0.2,
        quality_score=0.2, rank=2,
    )  # fmt: skip
    services.create_data_gap(
        project=project, title="Few tech items", description="Only one tech article.", by=owner
    )
    with django_capture_on_commit_callbacks(execute=True):
        version = services.create_version(project=project, name="v1", by=owner)
    version.refresh_from_db()
    assert version.status == "done", version.message
    project.doc_items = items
    project.doc_version = version
    return project


@pytest.fixture
def evaluated(documented, owner, django_capture_on_commit_callbacks):
    """`documented` plus model version m1 predicting 4 of the 5 final topics right,
    evaluated on all labelled items; and m2 with predictions but no evaluation."""
    from trainerdesk.evaluation import services as ev
    from trainerdesk.workbench import services as wb

    guesses = ["business", "sport", "sport", "sport", "sport"]  # item 3 (tech) wrong
    for item, guess in zip(documented.doc_items, guesses, strict=True):
        for name in ("m1", "m2"):
            wb.add_prediction(
                project=documented, item=item, answer={"topic": guess}, model_version=name,
                by=owner,
            )  # fmt: skip
    m1 = ev.version_for(project=documented, model_version="m1", by=owner)
    m2 = ev.version_for(project=documented, model_version="m2", by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        run = ev.start_evaluation(version=m1, scope="all", resamples=100, by=owner)
    run.refresh_from_db()
    assert run.status == "done", run.message
    documented.m1, documented.m2, documented.run = m1, m2, run
    return documented
