"""Final labels: the project's final label rule over answers and review decisions."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model

from trainerdesk.lib.jsonutil import db_json, iso_utc
from trainerdesk.quality import review as rules
from trainerdesk.quality.models import QualitySettings, Review
from trainerdesk.quality.services.reviews import Decision
from trainerdesk.workbench.models import Annotation, Project

logger = logging.getLogger(__name__)


# --- final labels


class FinalLabeler:
    """Each item's final answer under the project's rule (QualitySettings.FinalLabelRule),
    from the annotation records of the export (with their "reviews")."""

    def __init__(self, project: Project):
        self.project = project
        self.rule = QualitySettings.for_project(project).final_label_rule
        # Plain booleans: final() runs once per exported item (100k in ~1 s), and each
        # TextChoices member lookup costs more than the common case's whole answer.
        self.by_reviewer = self.rule == QualitySettings.FinalLabelRule.REVIEWER
        self.ds: dict[str, dict[int, Any]] = {}
        self.accuracy: dict[str, dict] = {}
        # field -> why its Dawid–Skene labels may not be settled (EM did not converge).
        self.notes: dict[str, str] = {}
        if self.rule == QualitySettings.FinalLabelRule.DAWID_SKENE:
            self._fit_dawid_skene()

    def _fit_dawid_skene(self) -> None:
        fields = [f for f in self.project.schema.fields if f.type == "choice" and not f.multiple]
        if not fields:
            return
        observations: dict[str, list] = {f.name: [] for f in fields}
        rows = Annotation.objects.filter(project=self.project, skipped=False).values_list(
            "item_id", "annotator_id", "imported_annotator", "answer"
        )
        for item_id, annotator_id, imported, answer in rows.iterator(chunk_size=5000):
            who = annotator_id if annotator_id is not None else f"imported:{imported}"
            for f in fields:
                value = answer.get(f.name) if isinstance(answer, dict) else None
                if isinstance(value, str):
                    observations[f.name].append((item_id, who, value))
        for f in fields:
            fit = rules.dawid_skene_fit(observations[f.name], f.label_values)
            self.ds[f.name] = {item_id: label for item_id, (label, _p) in fit.finals.items()}
            self.accuracy[f.name] = fit.accuracy
            if fit.note:
                self.notes[f.name] = fit.note
                logger.warning("project %s, field %s: Dawid–Skene %s", self.project.pk,
                               f.name, fit.note)  # fmt: skip

    def final(self, item_id: int, annotations: list[dict]) -> dict | None:
        answered = [a for a in annotations if not a["skipped"]]
        if not answered:
            return None
        if not self.ds and len(answered) == 1 and "reviews" not in answered[0]:
            return dict(answered[0]["answer"]) or None  # one unreviewed answer: every rule
        if self.by_reviewer:
            return self._reviewer(answered)
        answer = rules.majority_vote([a["answer"] for a in answered]).answer
        if self.ds:
            answer = dict(answer or {})
            for name, labels in self.ds.items():
                if item_id in labels:
                    answer[name] = labels[item_id]
            answer = answer or None
        return answer

    @staticmethod
    def _reviewer(answered: list[dict]) -> dict | None:
        if not any("reviews" in a for a in answered):
            return rules.majority_vote([a["answer"] for a in answered]).answer
        latest = [(a["reviews"][-1] if a.get("reviews") else None, a) for a in answered]
        fixes = [r for r, _ in latest if r and r["decision"] == Decision.FIXED]
        if fixes:
            return max(fixes, key=lambda r: r["created_at"])["fixed_answer"]
        accepted = [a["answer"] for r, a in latest if r and r["decision"] == Decision.ACCEPTED]
        if accepted:
            return rules.majority_vote(accepted).answer
        kept = [a["answer"] for r, a in latest if not (r and r["decision"] == Decision.REJECTED)]
        return rules.majority_vote(kept).answer


def reviews_of_page(cursor, *, project_id: int, first_id: int, last_id: int):
    """The reviews of a page of the export (items first_id..last_id) in one query, as
    ({annotation id: [review, ...]}, {item id: [sent-back review, ...]}), oldest first.

    Raw SQL on the export's cursor like the rest of the export page (DEVELOPERS.md: the
    ORM's per-row converters dominated there); served by the (item, created_at) index.
    """
    user_t = get_user_model()._meta.db_table
    cursor.execute(
        "SELECT r.item_id, r.annotation_id, r.decision, u.username, r.reason, "
        "r.fixed_answer, r.original_answer, r.sent_back, r.annotator_name, r.created_at "
        f"FROM {Review._meta.db_table} r LEFT JOIN {user_t} u ON u.id = r.reviewer_id "
        "WHERE r.item_id BETWEEN %s AND %s AND +r.project_id = %s "
        "ORDER BY r.item_id, r.created_at, r.id",
        [first_id, last_id, project_id],
    )
    by_annotation: dict[int, list[dict]] = {}
    returned: dict[int, list[dict]] = {}
    for (item_id, annotation_id, decision, reviewer, reason, fixed, original, sent_back,
         annotator, created) in cursor.fetchall():  # fmt: skip
        review = {"decision": decision, "reviewer": reviewer, "reason": reason,
                  "created_at": iso_utc(created)}  # fmt: skip
        if decision == Decision.FIXED:
            review["fixed_answer"] = db_json(fixed)
        if annotation_id is not None:
            by_annotation.setdefault(annotation_id, []).append(review)
        elif sent_back:
            review |= {"annotator": annotator, "original_answer": db_json(original)}
            returned.setdefault(item_id, []).append(review)
    return by_annotation, returned
