import random
from datetime import timedelta

import pytest
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.quality import metrics
from trainerdesk.vetting import services
from trainerdesk.vetting.models import Assessment, AssessmentRevision, Attempt, Evidence
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Item

pytestmark = pytest.mark.django_db


def answer_all(attempt, user, *, right, skip=()):
    """Answer every copy: the first `right` correctly, the rest wrongly; `skip`: indexes."""
    copies = list(Item.objects.filter(pk__in=attempt.copy_item_ids).order_by("pk"))
    for i, item in enumerate(copies):
        truth = item.reference["topic"]
        wrong = next(v for v in ("business", "sport", "tech") if v != truth)
        workbench.submit_annotation(
            project=attempt.workspace,
            item=item,
            user=user,
            skipped=i in skip,
            answer=None if i in skip else {"topic": truth if i < right else wrong},
            lead_time=float(10 + i),
        )


def test_create_refuses_a_pool_too_small(pool, staff):
    with pytest.raises(services.InvalidInput) as exc:
        services.create_assessment(
            project=pool,
            slug="too-big",
            title="T",
            task_type="text_classification",
            domain="news",
            items_per_attempt=25,
            pass_threshold=0.5,
            by=staff,
        )
    assert "items_per_attempt" in str(exc.value) and "project:" in str(exc.value)
    assert not Assessment.objects.exists()


def test_create_names_bad_fields(pool, staff):
    with pytest.raises(services.InvalidInput) as exc:
        services.create_assessment(
            project=pool,
            slug="Bad Slug",
            title="",
            task_type="poetry",
            domain="news",
            items_per_attempt=5,
            pass_threshold=1.5,
            by=staff,
        )
    text = str(exc.value)
    for field in ("slug:", "title:", "task_type:", "pass_threshold:"):
        assert field in text


def test_draw_sizes_seeds_and_only_gold(assessment, staff):
    workbench.add_items(project=assessment.project, items=[{"text": "Not gold at all."}], by=staff)
    gold = set(services.gold_pool(assessment.project).values_list("pk", flat=True))
    one = services.draw_items(assessment=assessment, rng=random.Random(1))
    two = services.draw_items(assessment=assessment, rng=random.Random(2))
    assert len(one) == len(set(one)) == 5 and len(two) == 5
    assert set(one) <= gold and set(two) <= gold
    assert one != two
    assert services.draw_items(assessment=assessment, rng=random.Random(1)) == one


def test_start_makes_a_private_workspace(assessment, candidate):
    attempt = services.start_attempt(
        assessment=assessment, user=candidate, by=candidate, rng=random.Random(3)
    )
    ws = attempt.workspace
    assert ws.gold_rate == 1.0 and ws.gold_feedback is False
    assert ws.organization.name == services.NETWORK_ORG_NAME
    copies = list(Item.objects.filter(pk__in=attempt.copy_item_ids))
    assert len(copies) == 5 and all(c.is_gold and c.reference for c in copies)
    pool = {i.pk: i for i in Item.objects.filter(pk__in=attempt.item_ids)}
    for src, copy in zip(attempt.item_ids, attempt.copy_item_ids, strict=True):
        c = Item.objects.get(pk=copy)
        assert c.reference == pool[src].reference
        assert c.data == {"text": pool[src].data["text"]}  # the source path stays in the pool
    assert list(ws.members.values_list("user__username", "role")) == [("candidate", "annotator")]


def test_refuses_a_second_open_attempt(assessment, candidate):
    services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    with pytest.raises(services.ConflictError, match="in progress"):
        services.start_attempt(assessment=assessment, user=candidate, by=candidate)


def test_score_counts_by_hand_and_wilson_matches_metrics(assessment, candidate):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    answer_all(attempt, candidate, right=4)
    attempt = services.score_attempt(attempt=attempt, by=candidate)
    interval = metrics.wilson_interval(4, 5)
    assert (attempt.n, attempt.correct, attempt.skipped) == (5, 4, 0)
    assert attempt.accuracy == 0.8
    assert (attempt.low, attempt.high) == (interval.low, interval.high)
    assert attempt.passed is (interval.low >= 0.5)
    assert attempt.lead_time_seconds == 12.0  # median of 10..14
    assert attempt.snapshot.correct == 4 and attempt.snapshot.n == 5
    ev = Evidence.objects.get(attempt=attempt)
    assert ev.source == "assessment" and ev.inputs_digest == attempt.snapshot.items_digest
    assert ev.valid_until == attempt.valid_until
    assert abs((ev.valid_until - attempt.finished_at) - timedelta(days=365)) < timedelta(seconds=1)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "vetting.assessment.create",
        "vetting.assessment.activate",
        "vetting.attempt.start",
        "vetting.attempt.score",
        "vetting.evidence.create",
    } <= actions


def test_skips_count_as_wrong(assessment, candidate):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    answer_all(attempt, candidate, right=5, skip={0, 1})
    attempt = services.score_attempt(attempt=attempt, by=candidate)
    assert (attempt.n, attempt.correct, attempt.skipped) == (5, 3, 2)
    assert attempt.low == metrics.wilson_interval(3, 5).low


def test_score_refuses_unfinished(assessment, candidate):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    with pytest.raises(services.ConflictError, match="5 of 5 items still to answer"):
        services.score_attempt(attempt=attempt, by=candidate)


def test_retake_wait_names_the_date(assessment, candidate):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    answer_all(attempt, candidate, right=2)
    attempt = services.score_attempt(attempt=attempt, by=candidate)
    when = timezone.localtime(attempt.finished_at + timedelta(days=30))
    with pytest.raises(services.ConflictError, match=f"again from {when:%Y-%m-%d}"):
        services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    Attempt.objects.filter(pk=attempt.pk).update(finished_at=timezone.now() - timedelta(days=31))
    assert services.start_attempt(assessment=assessment, user=candidate, by=candidate)


def test_version_bump_keeps_old_attempts_valid(assessment, candidate, staff):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    answer_all(attempt, candidate, right=5)
    attempt = services.score_attempt(attempt=attempt, by=candidate)
    same = services.update_assessment(
        assessment=assessment, by=staff, title="News topics II", retake_wait_days=7
    )
    assert same.version == 1
    bumped = services.update_assessment(assessment=assessment, by=staff, pass_threshold=0.9)
    assert bumped.version == 2
    rev = AssessmentRevision.objects.get(assessment=assessment, version=2)
    assert rev.changes == {"pass_threshold": {"before": 0.5, "after": 0.9}}
    attempt.refresh_from_db()
    assert attempt.assessment_version == 1 and attempt.status == "scored"
    assert (
        services.best_evidence([candidate.pk], "text_classification", "news")[
            candidate.pk
        ].attempt_id
        == attempt.pk
    )


def test_best_evidence_excludes_stale(assessment, candidate):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    answer_all(attempt, candidate, right=3)
    services.score_attempt(attempt=attempt, by=candidate)
    later = timezone.now() + timedelta(days=366)
    assert candidate.pk in services.best_evidence([candidate.pk], "text_classification", "news")
    assert services.best_evidence([candidate.pk], "text_classification", "news", at=later) == {}
    assert services.best_evidence([candidate.pk], "sentiment", "reviews") == {}


def test_retired_assessment_refuses_new_attempts(assessment, candidate, staff):
    services.retire_assessment(assessment=assessment, by=staff)
    with pytest.raises(services.ConflictError, match="not open"):
        services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    assert services.assessments_for_skill("text_classification", "news").count() == 0


def test_scorecard_evidence(project, teammate, owner):
    item = project.items.first()
    workbench.submit_annotation(
        project=project, item=item, user=teammate, answer={"topic": "business"}, lead_time=4.0
    )
    ev = services.record_scorecard_evidence(
        user=teammate, project=project, task_type="text_classification", domain="news", by=owner
    )
    assert ev.source == "scorecard" and ev.scorecard.annotator == teammate
    assert ev.n == 1 and ev.lead_time_seconds == 4.0 and ev.accuracy is None
    assert ev.inputs_digest == ev.scorecard.digest
    with pytest.raises(services.InvalidInput, match="does not work on"):
        services.record_scorecard_evidence(
            user=owner, project=project, task_type="text_classification", domain="news", by=owner
        )


def test_a_changed_pool_is_a_new_version(assessment, pool, candidate, outsider, staff):
    # The pool is edited in the workbench, which can't tell vetting: the next attempt
    # notices, and what earlier attempts measured keeps its version.
    from trainerdesk.vetting.tests.conftest import pool_rows

    first = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    assert first.assessment_version == 1
    extra = pool_rows(1)[0] | {"data": {"text": "A new pool article.", "source": "tech/new.txt"}}
    workbench.add_items(project=pool, items=[extra], by=staff)
    assert Item.objects.filter(project=pool, is_gold=True).count() == 25
    second = services.start_attempt(assessment=assessment, user=outsider, by=outsider)
    assessment.refresh_from_db()
    assert (second.assessment_version, assessment.version, assessment.pool_size) == (2, 2, 25)
    rev = AssessmentRevision.objects.get(assessment=assessment, version=2)
    assert rev.changes == {"pool": {"before": 24, "after": 25}}
    first.refresh_from_db()
    assert first.assessment_version == 1
    # A changed reference is a change too, with the same number of items.
    item = Item.objects.filter(project=pool, is_gold=True).order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(reference={"topic": "tech"})
    before = assessment.pool_digest
    services.note_pool_changes(assessment=assessment, by=staff)
    assert assessment.version == 3 and assessment.pool_digest != before


def test_an_assessment_without_a_recorded_pool_only_records_it(assessment, candidate):
    Assessment.objects.filter(pk=assessment.pk).update(pool_digest="", pool_size=None)
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    assessment.refresh_from_db()
    assert attempt.assessment_version == 1 == assessment.version
    assert assessment.pool_size == 24 and len(assessment.pool_digest) == 64
