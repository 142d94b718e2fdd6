"""Model fairness facts for model cards and Annex IV drafts: a model version's predictions
against the final labels, per group of each bias audit's attribute(s) and with its
favourable label (fairness_model.model_fairness: fairlearn's MetricFrame, AIF360's signed
convention, stratified bootstrap intervals). Reads only; an audit whose groups cannot be
measured (a group with no favourable or no unfavourable final label) gives its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainerdesk.evaluation.models import ModelVersion
from trainerdesk.governance.doc_content import input_ref
from trainerdesk.governance.services.bias import _finals
from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench.models import Item, Prediction, Project

if TYPE_CHECKING:
    from trainerdesk.governance import fairness_model
else:  # NumPy and fairlearn load with the first document that needs them
    fairness_model = lazy_module("trainerdesk.governance.fairness_model")

# Bootstrap replicates per audit: a model card is generated in the request.
N_BOOT = 200


def _rows(project: Project, version: ModelVersion, audit) -> tuple[list, list, dict, str]:
    finals = _finals(project, audit.dataset_version)
    preds = dict(
        Prediction.objects.filter(item__project=project, model_version=version.name)
        .order_by("item_id", "id")
        .values_list("item_id", "answer")
    )
    truth, pred, lines = [], [], []
    values: dict[str, list[Any]] = {a: [] for a in audit.attributes}
    data_of = Item.objects.filter(project=project, pk__in=sorted(set(finals) & set(preds)))
    for item_id, data in data_of.order_by("pk").values_list("pk", "data").iterator(2000):
        final, guess = finals[item_id], preds[item_id]
        t = final.get(audit.field) if isinstance(final, dict) else None
        p = guess.get(audit.field) if isinstance(guess, dict) else None
        if not isinstance(t, str) or not isinstance(p, str):
            continue
        data = data if isinstance(data, dict) else {}
        truth.append(t)
        pred.append(p)
        for a in audit.attributes:
            values[a].append(data.get(a))
        lines.append((item_id, *(data.get(a) for a in audit.attributes), t, p))
    return truth, pred, values, lines_digest(lines)


def model_fairness_facts(
    project: Project, version: ModelVersion, audits
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    out, inputs = [], []
    for audit in audits:
        entry: dict[str, Any] = {
            "audit": audit.pk,
            "attributes": list(audit.attributes),
            "positive": audit.positive,
            "field": audit.field,
        }
        try:
            truth, pred, values, digest = _rows(project, version, audit)
            # The audit's own reference group when it named one for a single attribute
            # (an intersection's is stored joined, "x, y", and cannot be split back).
            privileged = audit.privileged if len(audit.attributes) == 1 else ""
            report = fairness_model.model_fairness(
                truth, pred, values, positive=audit.positive, privileged=privileged or None,
                n_boot=N_BOOT, seed=0,
            ).as_dict()  # fmt: skip
        except (InvalidInput, ConflictError) as exc:
            out.append(entry | {"error": str(exc)})
            continue
        entry |= {
            "n": len(truth),
            "privileged": report["privileged"],
            "privileged_source": report["privileged_source"],
            "groups": [
                {k: g[k] for k in ("group", "n", "small", *fairness_model.GROUP_METRICS)}
                for g in report["groups"]
            ],
            "fairlearn": report["fairlearn"],
            "resamples": report["n_boot"],
        }
        out.append(entry)
        inputs.append(input_ref("model_fairness", audit.pk, digest, version.name))
    return out, inputs
