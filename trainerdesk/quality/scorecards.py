"""The annotators list: each person who annotated in a project, with the scorecard's key
figures side by side (items done, accuracy on gold with its Wilson lower bound, agreement
with peers from the latest report, review acceptance, median lead time), sorted on the
server. Every figure comes from the function the scorecard itself uses, so the list and a
scorecard never disagree."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from trainerdesk.quality import services as quality
from trainerdesk.workbench.models import Annotation, Project
from trainerdesk.workbench.services import InvalidInput

# ?sort= keys (a leading "-" sorts descending) -> the row attribute they sort by.
SORT_KEYS = {
    "annotator": "annotator",
    "done": "items_done",
    "gold": "gold_accuracy",
    "gold_low": "gold_low",
    "agreement": "agreement",
    "acceptance": "review_acceptance",
    "lead_time": "median_lead_time",
}


@dataclass
class AnnotatorRow:
    annotator: str
    items_done: int
    items_skipped: int
    gold_accuracy: float | None
    gold_low: float | None  # 95% Wilson lower bound
    gold_n: int
    gold_status: str | None  # pass, fail, not_enough_data; None without gold items
    agreement: float | None  # mean Cohen's kappa over their annotator pairs, every field
    agreement_pairs: int
    review_acceptance: float | None
    reviewed: int
    median_lead_time: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def check_sort(sort: str) -> str:
    """The sort key, or InvalidInput naming the ones there are."""
    key = (sort or "annotator").strip()
    if key.removeprefix("-") not in SORT_KEYS:
        names = ", ".join(SORT_KEYS)
        raise InvalidInput([f"sort: {sort[:40]!r} is not one of {names} (prefix - to reverse)"])
    return key


def annotator_rows(*, project: Project, sort: str = "annotator") -> list[AnnotatorRow]:
    """One row per person with an annotation in the project (skipped ones count: they
    worked here), sorted by `sort`; a figure that is not available sorts last either way."""
    sort = check_sort(sort)
    counts = (
        Annotation.objects.filter(project=project, annotator__isnull=False)
        .values("annotator_id")
        .annotate(
            done=Count("id", filter=Q(skipped=False)), skipped=Count("id", filter=Q(skipped=True))
        )
        .order_by()
    )
    by_id = {c["annotator_id"]: c for c in counts}
    users = get_user_model().objects.filter(pk__in=list(by_id))
    gold = {g.annotator_id: g.verdict for g in quality.gold_accuracy(project=project).annotators}
    # Without an answer on gold: not enough data, or nothing to say if there is no gold.
    no_gold_status = "not_enough_data" if project.items.filter(is_gold=True).exists() else None
    rep = quality.latest_agreement_report(project)
    rows = []
    for user in users:
        name = user.get_username()
        verdict = gold.get(user.pk)
        # Pooled over fields: the mean of every pair kappa that involves them.
        peers = [p for p in quality.peer_agreement(rep, name).values() if p["pairs"]]
        pairs = sum(p["pairs"] for p in peers)
        kappa_sum = sum(p["mean_kappa"] * p["pairs"] for p in peers)
        review = quality.review_acceptance(project=project, annotator=user)
        lead = Annotation.objects.filter(project=project, annotator=user, skipped=False)
        rows.append(
            AnnotatorRow(
                annotator=name,
                items_done=by_id[user.pk]["done"],
                items_skipped=by_id[user.pk]["skipped"],
                gold_accuracy=verdict.accuracy if verdict else None,
                gold_low=verdict.interval.low if verdict and verdict.interval else None,
                gold_n=verdict.n if verdict else 0,
                gold_status=verdict.status if verdict else no_gold_status,
                agreement=kappa_sum / pairs if pairs else None,
                agreement_pairs=pairs,
                review_acceptance=review.get("rate"),
                reviewed=review.get("reviewed", 0),
                median_lead_time=lead.median_lead_time(),
            )
        )
    attr = SORT_KEYS[sort.removeprefix("-")]
    present = [r for r in rows if getattr(r, attr) is not None]
    missing = [r for r in rows if getattr(r, attr) is None]
    present.sort(key=lambda r: r.annotator)
    # Stable, also reversed: equal figures stay in name order.
    present.sort(key=lambda r: getattr(r, attr), reverse=sort.startswith("-"))
    return present + sorted(missing, key=lambda r: r.annotator)
