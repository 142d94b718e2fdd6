"""Annotator scorecards: reference and gold accuracy, review acceptance, peer agreement."""

from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.jsonutil import iso_utc
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality.models import (
    AgreementReport,
    QualitySettings,
    Review,
    Scorecard,
)
from trainerdesk.quality.services.gold import gold_accuracy, own_gold_accuracy
from trainerdesk.quality.services.reports import latest_agreement_report, reference_accuracy
from trainerdesk.workbench.models import Annotation, Project

metrics = lazy_module("trainerdesk.quality.metrics")
report = lazy_module("trainerdesk.quality.report")


def review_acceptance(*, project: Project, annotator) -> dict:
    """How reviewers judged this annotator's answers: the latest decision on each reviewed
    annotation (accepted / fixed / rejected), plus rejections sent back (their annotation
    is gone, the review keeps it), with the acceptance rate's 95% Wilson interval. Reviews
    that judged nothing (judged=False) are left out."""
    from trainerdesk.quality import metrics

    # Send-backs without a verdict (model feedback) say nothing about their work.
    mine = Review.objects.filter(project=project, annotator=annotator, judged=True)
    counts = dict(
        mine.latest_per_annotation()
        .values("decision")
        .annotate(n=models.Count("id"))
        .values_list("decision", "n")
    )
    sent_back = mine.filter(annotation__isnull=True, sent_back=True).count()
    accepted = counts.get(Review.Decision.ACCEPTED, 0)
    fixed = counts.get(Review.Decision.FIXED, 0)
    rejected = counts.get(Review.Decision.REJECTED, 0) + sent_back
    n = accepted + fixed + rejected
    if not n:
        return {"available": False, "reason": "not enough data: none of their answers reviewed"}
    interval = metrics.wilson_interval(accepted, n)
    return {
        "available": True,
        "reviewed": n,
        "accepted": accepted,
        "fixed": fixed,
        "rejected": rejected,
        "rate": accepted / n,
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
    }


def scorecard_gold(*, project: Project, annotator, until, live: bool = True) -> dict:
    """The annotator's accuracy on gold items answered before `until` (so a recorded
    scorecard can be recomputed), with the project's pass/fail rule. live=False (an
    annotator looking at their own): only what own_gold_accuracy lets them see."""
    if not live:
        own = own_gold_accuracy(project=project, annotator=annotator)
        if own.verdict is None:
            return {"available": False, "reason": "not available yet: recorded by a manager"}
        when = f" (recorded {own.recorded_at:%Y-%m-%d %H:%M})" if own.recorded_at else ""
        verdict = own.verdict.as_dict()
        return {"available": True, **verdict, "reason": verdict["reason"] + when}
    report = gold_accuracy(project=project, until=until, annotator_ids=[annotator.pk])
    if not report.gold_items:
        return {"available": False, "reason": "not available: the project has no gold items"}
    row = next((r for r in report.annotators if r.annotator_id == annotator.pk), None)
    if row is None:
        needed = QualitySettings.for_project(project).gold_min_items
        return {
            "available": False,
            "reason": f"not enough data: no gold item answered (0 of {needed})",
        }
    return {"available": True, **row.verdict.as_dict(), "digest": row.digest}


def peer_agreement(report: AgreementReport | None, username: str) -> dict:
    """From the report: the mean Cohen's kappa and percent agreement over the annotator
    pairs involving this annotator, per field (pairs without a value are left out)."""
    if report is None:
        return {}
    out = {}
    for name, res in report.results.get("fields", {}).items():
        groups = [res] if "pairs" in res else list(res.get("criteria", {}).values())
        kappas, percents = [], []
        for g in groups:
            for p in g.get("pairs", []):
                if username in (p["a"], p["b"]):
                    if p.get("kappa") is not None:
                        kappas.append(p["kappa"])
                    if p.get("percent_agreement") is not None:
                        percents.append(p["percent_agreement"])
        out[name] = {
            "mean_kappa": sum(kappas) / len(kappas) if kappas else None,
            "mean_percent_agreement": sum(percents) / len(percents) if percents else None,
            "pairs": len(kappas),
            "reason": None if kappas else "not enough data: no annotator pair with a kappa",
        }
    return out


def build_scorecard(*, project: Project, annotator, weeks: int = 8, live_gold: bool = True) -> dict:
    """The scorecard's numbers for one annotator, and the digest of their annotations."""

    mine = Annotation.objects.filter(project=project, annotator=annotator)
    username = annotator.get_username()
    now = timezone.now()
    this_week = (now - timedelta(days=now.weekday())).date()
    week_keys = [(this_week - timedelta(weeks=k)).isoformat() for k in range(weeks - 1, -1, -1)]
    digest = LineDigest()
    done = skipped = 0
    weekly_done = dict.fromkeys(week_keys, 0)
    for pk, updated, created, skip in mine.order_by("id").values_list(
        "id", "updated_at", "created_at", "skipped"
    ):
        digest.add(pk, iso_utc(updated))
        if skip:
            skipped += 1
            continue
        done += 1
        key = report.week_of(created)
        if key in weekly_done:
            weekly_done[key] += 1
    rep = latest_agreement_report(project)
    majority = (
        (rep.results.get("reference", {}) if rep else {})
        .get("agreement_with_majority_weekly", {})
        .get(username, {})
    )
    trend = [
        {
            "week": w,
            "done": weekly_done[w],
            "agreement_with_majority": (majority[w]["agree"] / majority[w]["n"])
            if w in majority and majority[w]["n"]
            else None,
        }
        for w in week_keys
    ]
    lead = mine.filter(skipped=False).median_lead_time()
    return {
        "annotator": username,
        "items_done": done,
        "items_skipped": skipped,
        "median_lead_time": lead,
        "peer_agreement": peer_agreement(rep, username),
        "reference_accuracy": reference_accuracy(report=rep, username=username),
        "gold_accuracy": scorecard_gold(
            project=project, annotator=annotator, until=now, live=live_gold
        ),
        "review_acceptance": review_acceptance(project=project, annotator=annotator),
        "trend": trend,
        "report": {
            "id": rep.pk,
            "computed_at": rep.computed_at and rep.computed_at.isoformat(),
            "digest": rep.digest,
        }
        if rep
        else None,
        "digest": digest.hexdigest(),
        "computed_at": now.isoformat(),
    }


def record_scorecard(*, project: Project, annotator, by, live_gold: bool = True) -> Scorecard:
    """Store the scorecard as computed now, so its numbers can be shown and checked later."""
    data = build_scorecard(project=project, annotator=annotator, live_gold=live_gold)
    with transaction.atomic():
        scorecard = Scorecard.objects.create(
            project=project,
            annotator=annotator,
            recorded_by=by,
            report_id=(data["report"] or {}).get("id"),
            digest=data["digest"],
            data=data,
        )
        audit.record(
            action="quality.scorecard.create",
            obj=scorecard,
            project=project,
            changes={"annotator_id": annotator.pk, "report_id": scorecard.report_id},
            by=by,
        )
    return scorecard
