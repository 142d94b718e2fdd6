"""What the model found fed back to people: the disagreement queue, the errors of an
evaluation run, and sending a selection to review or to relabel in one action.

Both ends reuse the review app. "Review" records a batch whose items the Model review
queue lists, each opening the review app's workspace on that item (accept, fix or reject
its answers there); "relabel" rejects the item's answers with the model's reason and sends
them back to their authors (quality's `record_review(send_back=True)`): the item is first
in each author's queue and their inbox says why, and the original answers stay in the
review records.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction

from trainerdesk.evaluation.models import (
    EvaluationRun,
    FeedbackBatch,
    ModelVersion,
    PredictedProbabilities,
)
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.evaluation.services.runs import read_rows
from trainerdesk.lib import audit
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import Review
from trainerdesk.workbench.models import Annotation, Prediction, Project
from trainerdesk.workbench.services import InvalidInput, export_records

# A wrong prediction on a gold item at or above this probability is "confidently wrong".
CONFIDENT = 0.8
MAX_BATCH = 5000

REASONS = {
    "final": "the model disagrees with the final label",
    "gold": "the model is confidently wrong on a gold item",
    "minority": "humans disagree and the model sides with the minority",
}


def _key(value: Any) -> str:
    return "|".join(sorted(value)) if isinstance(value, list) else str(value)


def find_disagreements(
    *,
    project: Project,
    version: ModelVersion,
    field_name: str | None = None,
    confident: float = CONFIDENT,
) -> list[dict]:
    """The items where the version's latest prediction disagrees with people, each with
    the reasons (keys of REASONS) in item-id order."""
    field = field_of(project, field_name)
    gold_ids = set(project.items.filter(is_gold=True).values_list("pk", flat=True))
    out = []
    for record in export_records(project=project, include_annotations=True):
        latest = None
        for p in record["predictions"]:  # oldest first: the last one counts
            answer = p["answer"]
            if (
                p["model_version"] == version.name
                and isinstance(answer, dict)
                and field.name in answer
            ):
                latest = p
        if latest is None:
            continue
        model = latest["answer"][field.name]
        score = latest["score"]
        reasons = []
        final = record["final"] if isinstance(record["final"], dict) else {}
        human = final.get(field.name)
        if human is not None and _key(human) != _key(model):
            reasons.append("final")
        reference = record["reference"] if isinstance(record["reference"], dict) else {}
        # Only gold items' references: other items may carry hidden ones (the demo's).
        gold = reference.get(field.name) if record["id"] in gold_ids else None
        if (
            gold is not None
            and _key(gold) != _key(model)
            and score is not None
            and score >= confident
        ):
            reasons.append("gold")
        votes = Counter(
            _key(a["answer"][field.name])
            for a in record.get("annotations", [])
            if not a["skipped"] and isinstance(a["answer"], dict) and field.name in a["answer"]
        )
        if len(votes) > 1:
            top = max(votes.values())
            if 0 < votes.get(_key(model), 0) < top:
                reasons.append("minority")
        if reasons:
            out.append(
                {
                    "item": record["id"],
                    "reasons": reasons,
                    "model": _key(model),
                    "human": None if human is None else _key(human),
                    "score": score,
                }
            )
    return out


def send_disagreements(
    *,
    project: Project,
    version: ModelVersion,
    kind: str = "review",
    reasons: tuple[str, ...] | list[str] = tuple(REASONS),
    field_name: str | None = None,
    by,
) -> FeedbackBatch | None:
    """The disagreement queue as one action: find the version's disagreements (those with
    one of `reasons`) and send them to review or relabel; None when there are none."""
    if unknown := set(reasons) - set(REASONS):
        raise InvalidInput([f"reasons: unknown {sorted(unknown)} (use {', '.join(REASONS)})"])
    found = find_disagreements(project=project, version=version, field_name=field_name)
    chosen = [
        e | {"reason": "; ".join(REASONS[r] for r in e["reasons"])}
        for e in found
        if set(e["reasons"]) & set(reasons)
    ]
    if not chosen:
        return None
    return send_items(
        project=project, kind=kind, entries=chosen, source="disagreement", version=version, by=by
    )


def run_errors(*, run: EvaluationRun) -> list[dict]:
    """The items a finished run got wrong: reference, prediction and the model's
    confidence (its probability for the predicted label, else the prediction's score),
    most confident first."""
    field = field_of(run.project, run.field_name)
    rows = read_rows(
        project=run.project,
        field=field,
        version_names=[run.version.name],
        scope=run.scope,
        against=run.against,
        slices=[],
    )[run.version.name]
    wrong = [
        (pk, t, p)
        for pk, t, p in zip(rows.ids, rows.truth, rows.pred, strict=True)
        if _key(t) != _key(p)
    ]
    ids = [pk for pk, _, _ in wrong]
    scores: dict[int, float | None] = {}
    for pk, score in (
        Prediction.objects.filter(item_id__in=ids, model_version=run.version.name)
        .order_by("id")
        .values_list("item_id", "score")
    ):
        scores[pk] = score
    vectors = dict(
        PredictedProbabilities.objects.filter(
            version=run.version, field_name=field.name, item_id__in=ids
        ).values_list("item_id", "probabilities")
    )
    index = {c: i for i, c in enumerate(field.label_values)}
    out: list[dict[str, Any]] = []
    for pk, t, p in wrong:
        confidence = scores.get(pk)
        if pk in vectors and isinstance(p, str) and p in index:
            confidence = vectors[pk][index[p]]
        out.append({"item": pk, "truth": _key(t), "pred": _key(p), "confidence": confidence})
    out.sort(key=lambda e: (-(e["confidence"] or 0.0), e["item"]))
    return out


def _clean_entries(project: Project, entries: list[dict]) -> list[dict]:
    if not entries:
        raise InvalidInput(["items: select at least one item"])
    if len(entries) > MAX_BATCH:
        raise InvalidInput([f"items: at most {MAX_BATCH:,} items per action"])
    seen: dict[int, dict] = {}
    for entry in entries:
        pk = entry.get("item")
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise InvalidInput(["items: each must be an item id"])
        seen.setdefault(pk, entry)
    known = set(project.items.filter(pk__in=list(seen)).values_list("pk", flat=True))
    if unknown := sorted(set(seen) - known):
        raise InvalidInput([f"items: not items of this project: {unknown[:10]}"])
    return list(seen.values())


def send_items(
    *,
    project: Project,
    kind: str,
    entries: list[dict],
    source: str,
    version: ModelVersion | None = None,
    run: EvaluationRun | None = None,
    by,
) -> FeedbackBatch:
    """Send the items of `entries` ({"item": id, "reason"?, "model"?, "human"?}) to review
    or to relabel, in one transaction and one audit event (count and ids digest)."""
    if kind not in FeedbackBatch.Kind.values:
        raise InvalidInput([f"kind: must be one of {', '.join(FeedbackBatch.Kind.values)}"])
    if source not in FeedbackBatch.Source.values:
        raise InvalidInput([f"source: must be one of {', '.join(FeedbackBatch.Source.values)}"])
    entries = _clean_entries(project, entries)
    clean = [
        {
            "item": e["item"],
            "reason": str(e.get("reason") or "")[:500],
            "model": e.get("model"),
            "human": e.get("human"),
        }
        for e in entries
    ]
    ids = [e["item"] for e in clean]
    count, digest = audit.ids_digest(ids)
    with transaction.atomic():
        sent_back = 0
        if kind == FeedbackBatch.Kind.RELABEL:
            sent_back = _send_back(project, clean, by)
        batch = FeedbackBatch.objects.create(
            project=project,
            kind=kind,
            source=source,
            version=version,
            run=run,
            entries=clean,
            items_digest=digest,
            created_by=by,
        )
        audit.record(
            action=f"evaluation.feedback.{kind}",
            obj=batch,
            project=project,
            changes={
                "count": count,
                "ids_sha256": digest,
                "source": source,
                "version": version.name if version else None,
                "run": run.pk if run else None,
                "answers_sent_back": sent_back,
            },
            by=by,
        )
    return batch


def _send_back(project: Project, entries: list[dict], by) -> int:
    """Reject and send back every annotator's answer on the items (the review app's flow);
    imported answers, which have nobody to go back to, stay."""
    reasons = {e["item"]: e["reason"] for e in entries}
    annotations = Annotation.objects.filter(
        item_id__in=list(reasons), project=project, skipped=False, annotator__isnull=False
    ).select_related("item")
    count = 0
    for annotation in annotations:
        reason = reasons[annotation.item_id] or "the model disagrees with this label"
        quality.record_review(
            project=project,
            annotation=annotation,
            reviewer=by,
            decision=Review.Decision.REJECTED,
            reason=f"Please label this item again: {reason} (model feedback)",
            send_back=True,
            # The model disagreeing is no verdict on the annotator: their review
            # acceptance (scorecards, vetting evidence) does not count it.
            judged=False,
        )
        count += 1
    return count


def review_entries(*, project: Project, limit: int = 200) -> list[dict]:
    """The review batches' items, newest batch first, each with whether a reviewer has
    decided on the item since it was sent."""
    out = []
    batches = FeedbackBatch.objects.filter(project=project, kind=FeedbackBatch.Kind.REVIEW)
    for batch in batches.select_related("version", "created_by")[:50]:
        ids = [e["item"] for e in batch.entries]
        decided = set(
            Review.objects.filter(
                project=project, item_id__in=ids, created_at__gte=batch.created_at
            ).values_list("item_id", flat=True)
        )
        for e in batch.entries:
            out.append(e | {"batch": batch, "reviewed": e["item"] in decided})
            if len(out) >= limit:
                return out
    return out
