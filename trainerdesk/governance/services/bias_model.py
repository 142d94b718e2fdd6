"""The two other kinds of bias audit (issue 13, "Bias audit"), stored as BiasAudit rows of
their kind beside label parity:

- model fairness: a model version's predictions against the final labels, per group
  of an item-data attribute (fairness_model.py: fairlearn's MetricFrame, AIF360's signed
  convention, bootstrap intervals);
- annotator parity: does an annotator's favourable-label rate on a group differ from
  the other annotators' on the same group beyond the noise (fairness.py: Fisher's exact
  test per annotator and group, Holm-adjusted).

This module gathers the rows (finals as bias.py reads them, each item's latest prediction
of the version, each non-skipped annotation) and stores and audits the result. An
attribute with one group is refused by fairness.py with a message saying so.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from trainerdesk.governance.models import BiasAudit, DatasetVersion
from trainerdesk.governance.services.bias import _finals, _label_field, store_audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench.models import Annotation, Item, Prediction, Project

if TYPE_CHECKING:
    from trainerdesk.governance import fairness, fairness_model
else:  # NumPy, SciPy and fairlearn load on the first audit
    fairness = lazy_module("trainerdesk.governance.fairness")
    fairness_model = lazy_module("trainerdesk.governance.fairness_model")

DEFAULT_N_BOOT = 1000
MAX_N_BOOT = 10000


def _attributes(attribute: str | None, second: str | None) -> list[str]:
    attribute = (attribute or "").strip()
    second = (second or "").strip() or None
    if not attribute:
        raise InvalidInput(["attribute: required (an item-data field, e.g. sex)"])
    if second == attribute:
        raise InvalidInput(["second_attribute: must differ from attribute"])
    return [attribute] + ([second] if second else [])


def _positive(f: Any, positive: str | None) -> str:
    if not positive or positive not in f.label_values:
        raise InvalidInput(
            [f"positive: name the favourable label of field {f.name!r} "
             f"(one of {', '.join(f.label_values)})"]
        )  # fmt: skip
    return positive


def _privileged(privileged: Any, attributes: list[str]) -> Any:
    if isinstance(privileged, str):
        privileged = privileged.strip() or None
    if isinstance(privileged, list):
        if len(privileged) != len(attributes):
            raise InvalidInput(["privileged: give one value per attribute"])
        return tuple(privileged) if len(privileged) > 1 else privileged[0]
    return privileged


def _item_values(project: Project, ids: set[int], attributes: list[str]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    seen = dict.fromkeys(attributes, False)
    rows = Item.objects.filter(project=project).order_by("pk").values_list("pk", "data")
    for item_id, data in rows.iterator(chunk_size=5000):
        if item_id not in ids:
            continue
        data = data if isinstance(data, dict) else {}
        for a in attributes:
            seen[a] = seen[a] or a in data
        out[item_id] = [data.get(a) for a in attributes]
    for i, a in enumerate(attributes):
        if not seen[a]:
            name = "attribute" if i == 0 else "second_attribute"
            raise InvalidInput([f"{name}: no audited item has {a!r} in its data"])
    return out


def latest_predictions(project: Project, model_version: Any, field: str) -> dict[int, Any]:
    """item id -> the version's latest predicted value of `field` (as evaluation reads
    them: the newest prediction of the version that answers the field)."""
    out: dict[int, Any] = {}
    rows = (
        Prediction.objects.filter(item__project=project, model_version=model_version.name)
        .order_by("item_id", "created_at", "pk")
        .values_list("item_id", "answer")
    )
    for item_id, answer in rows.iterator(chunk_size=5000):
        if isinstance(answer, dict) and field in answer:
            out[item_id] = answer[field]
    return out


def run_model_fairness_audit(
    *,
    project: Project,
    model_version: Any,
    attribute: str,
    second_attribute: str | None = None,
    positive: str | None = None,
    privileged: str | list[str] | None = None,
    field: str | None = None,
    dataset_version: DatasetVersion | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    by,
) -> BiasAudit:
    """Model fairness of `model_version` (an evaluation.ModelVersion of the project)
    against the final labels (live, or `dataset_version`'s). Items without both a final
    label and a prediction in the field are left out (counted in the results)."""
    if model_version is None or model_version.project_id != project.pk:
        raise InvalidInput(["model_version: not a model version of this project"])
    if not 0 <= n_boot <= MAX_N_BOOT:
        raise InvalidInput([f"n_boot: from 0 to {MAX_N_BOOT:,}"])
    attributes = _attributes(attribute, second_attribute)
    f = _label_field(project, field)
    positive = _positive(f, positive)
    priv = _privileged(privileged, attributes)
    finals = _finals(project, dataset_version)
    predicted = latest_predictions(project, model_version, f.name)
    ids = sorted(
        i
        for i, fin in finals.items()
        if isinstance(fin, dict) and isinstance(fin.get(f.name), str)
        if isinstance(predicted.get(i), str)
    )
    if not ids:
        raise InvalidInput(
            [f"model_version: no item has both a final label and a prediction of "
             f"{model_version.name!r} in field {f.name!r}"]
        )  # fmt: skip
    values = _item_values(project, set(ids), attributes)
    y_true = [finals[i][f.name] for i in ids]
    y_pred = [predicted[i] for i in ids]
    sensitive = {a: [values[i][k] for i in ids] for k, a in enumerate(attributes)}
    report = fairness_model.model_fairness(
        y_true, y_pred, sensitive, positive=positive, privileged=priv, n_boot=n_boot, seed=seed
    )
    digest = LineDigest()
    for i, t, p in zip(ids, y_true, y_pred, strict=True):
        digest.add(i, json.dumps(values[i], sort_keys=True, default=str), int(t == positive),
                   int(p == positive))  # fmt: skip
    labelled = sum(1 for fin in finals.values() if isinstance(fin, dict) and f.name in fin)
    results = {
        "model_fairness": report.as_dict(),
        "left_out": {"no_prediction": labelled - len(ids)},
        "model_version_name": model_version.name,
    }
    flags = [c.group for c in report.aif360 if c.four_fifths_flag]
    return store_audit(
        project=project, kind=BiasAudit.Kind.MODEL_FAIRNESS, attributes=attributes,
        field=f.name, positive=positive, privileged=privileged, version=dataset_version,
        model_version=model_version, digest=digest.hexdigest(), count=len(ids),
        results=results, facts={"model_version": model_version.pk, "four_fifths_flags": flags},
        by=by,
    )  # fmt: skip


def run_annotator_parity_audit(
    *,
    project: Project,
    attribute: str,
    second_attribute: str | None = None,
    positive: str | None = None,
    field: str | None = None,
    by,
) -> BiasAudit:
    """Annotator parity over every non-skipped annotation giving a label in the field.
    Annotators are kept by id ("user:ID", or "imported:NAME"), as the audit log keeps
    people: the page looks the names up."""
    attributes = _attributes(attribute, second_attribute)
    f = _label_field(project, field)
    positive = _positive(f, positive)
    rows = (
        Annotation.objects.filter(project=project, skipped=False)
        .order_by("item_id", "pk")
        .values_list("pk", "item_id", "annotator_id", "imported_annotator", "answer")
    )
    who, labels, items, pks = [], [], [], []
    for pk, item_id, annotator_id, imported, answer in rows.iterator(chunk_size=5000):
        label = answer.get(f.name) if isinstance(answer, dict) else None
        if not isinstance(label, str):
            continue
        who.append(f"user:{annotator_id}" if annotator_id is not None else f"imported:{imported}")
        labels.append(label)
        items.append(item_id)
        pks.append(pk)
    if not labels:
        raise InvalidInput([f"field: no annotation gives a label in field {f.name!r} yet"])
    values = _item_values(project, set(items), attributes)
    sensitive = {a: [values[i][k] for i in items] for k, a in enumerate(attributes)}
    report = fairness.annotator_parity(who, labels, sensitive, positive=positive)
    digest = LineDigest()
    for pk, w, i, label in sorted(zip(pks, who, items, labels, strict=True)):
        digest.add(pk, w, json.dumps(values[i], sort_keys=True, default=str),
                   int(label == positive))  # fmt: skip
    return store_audit(
        project=project, kind=BiasAudit.Kind.ANNOTATOR_PARITY, attributes=attributes,
        field=f.name, positive=positive, privileged=None, version=None, model_version=None,
        digest=digest.hexdigest(), count=len(set(items)),
        results={"annotator_parity": report.as_dict(), "annotations": len(labels)},
        facts={"annotations": len(labels), "flagged": report.flagged}, by=by,
    )  # fmt: skip
