"""Bias audits: label parity of a project's final labels across an item-data attribute
(issue 13). The numbers are fairness.py's; this module gathers its inputs (the final
labels under quality's rule, as a dataset version build reads them, and the attribute
from each item's data), stores the result with a digest of the rows, and audits it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import transaction

from trainerdesk.governance.models import BiasAudit, DatasetVersion
from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench.models import Item, Project

if TYPE_CHECKING:
    from trainerdesk.governance import fairness
else:  # NumPy, SciPy and fairlearn load on the first audit, not with every web process
    fairness = lazy_module("trainerdesk.governance.fairness")

# The item-data key read as the representation table's split, when items carry one.
SPLIT_KEY = "split"
ALL_ITEMS = "all items"


def _label_field(project: Project, field: str | None):
    choices = [f for f in project.schema.fields if f.type == "choice" and not f.multiple]
    if not choices:
        raise InvalidInput(["field: the project has no single-choice label field to audit"])
    if field is None:
        if len(choices) > 1:
            names = ", ".join(f.name for f in choices)
            raise InvalidInput([f"field: the project has several label fields ({names}); name one"])
        return choices[0]
    for f in choices:
        if f.name == field:
            return f
    names = ", ".join(f.name for f in choices)
    raise InvalidInput([f"field: {field!r} is not a single-choice label field (fields: {names})"])


def _finals(project: Project, version: DatasetVersion | None) -> dict[int, Any]:
    """item id -> final answer: the version's stored finals, or the live project's under
    quality's final-label rule (the same reader a version build uses)."""
    from trainerdesk.governance.services.versions import _pages, iter_manifest

    if version is not None:
        if version.project_id != project.pk:
            raise InvalidInput(["dataset_version: the version belongs to another project"])
        if version.status != DatasetVersion.Status.DONE:
            raise ConflictError(f"dataset_version: version {version.name!r} is not built yet")
        return {item_id: final for item_id, _h, final in iter_manifest(version)}
    return {item_id: final for page in _pages(project) for item_id, _h, final, _c in page}


def run_label_parity_audit(
    *,
    project: Project,
    attribute: str,
    second_attribute: str | None = None,
    privileged: str | list[str] | None = None,
    field: str | None = None,
    positive: str | None = None,
    dataset_version: DatasetVersion | None = None,
    by,
) -> BiasAudit:
    """Audit the favourable-label rate of `field`'s final labels per group of the item-data
    attribute(s). Items without a final label in the field are left out (counted in the
    results as `unlabelled`); items without the attribute form the "(missing)" group."""
    attribute = (attribute or "").strip()
    second_attribute = (second_attribute or "").strip() or None
    if not attribute:
        raise InvalidInput(["attribute: required (an item-data field, e.g. sex)"])
    if second_attribute == attribute:
        raise InvalidInput(["second_attribute: must differ from attribute"])
    attributes = [attribute] + ([second_attribute] if second_attribute else [])
    f = _label_field(project, field)
    if not positive:
        raise InvalidInput(
            [f"positive: name the favourable label of field {f.name!r} "
             f"(one of {', '.join(f.label_values)})"]
        )  # fmt: skip
    if positive not in f.label_values:
        raise InvalidInput(
            [f"positive: {positive!r} is not a label of field {f.name!r} "
             f"(one of {', '.join(f.label_values)})"]
        )  # fmt: skip
    if isinstance(privileged, str):
        privileged = privileged.strip() or None
    priv: Any = privileged
    if isinstance(privileged, list):
        if len(privileged) != len(attributes):
            raise InvalidInput(["privileged: give one value per attribute"])
        priv = tuple(privileged) if len(privileged) > 1 else privileged[0]

    finals = _finals(project, dataset_version)
    ids, labels, splits = [], [], []
    values: dict[str, list[Any]] = {a: [] for a in attributes}
    seen = dict.fromkeys(attributes, False)
    unlabelled = 0
    digest = LineDigest()
    rows = Item.objects.filter(project=project, pk__in=list(finals)).order_by("pk")
    for item_id, data in rows.values_list("pk", "data").iterator(chunk_size=5000):
        final = finals[item_id]
        label = final.get(f.name) if isinstance(final, dict) else None
        if not isinstance(label, str):
            unlabelled += 1
            continue
        data = data if isinstance(data, dict) else {}
        row_values = []
        for a in attributes:
            if a in data:
                seen[a] = True
            v = data.get(a)
            values[a].append(v)
            row_values.append(v)
        favourable = int(label == positive)
        ids.append(item_id)
        labels.append(label)
        splits.append(data.get(SPLIT_KEY))
        digest.add(item_id, json.dumps(row_values, sort_keys=True, default=str), favourable)
    if not ids:
        raise InvalidInput([f"field: no item has a final label in field {f.name!r} yet"])
    for a in attributes:
        if not seen[a]:
            raise InvalidInput(
                [f"{'attribute' if a == attribute else 'second_attribute'}: no labelled item "
                 f"has {a!r} in its data"]
            )  # fmt: skip
    if positive not in labels:
        raise InvalidInput(
            [f"positive: no final label in field {f.name!r} is {positive!r}, so every group's "
             "favourable rate is 0 and there is nothing to compare"]
        )  # fmt: skip
    parity = fairness.label_parity(labels, values, positive=positive, privileged=priv)
    if not any(s not in (None, "") for s in splits):
        splits = [ALL_ITEMS] * len(ids)
    table = fairness.representation(splits, values)
    results = {
        "parity": parity.as_dict(),
        "representation": table.as_dict(),
        "unlabelled": unlabelled,
    }
    return store_audit(
        project=project, kind=BiasAudit.Kind.LABEL_PARITY, attributes=attributes,
        field=f.name, positive=positive, privileged=privileged, version=dataset_version,
        model_version=None, digest=digest.hexdigest(), count=len(ids), results=results,
        facts={"four_fifths_flag": parity.four_fifths_flag}, by=by,
    )  # fmt: skip


def store_audit(
    *, project: Project, kind: str, attributes: list[str], field: str, positive: str,
    privileged: Any, version: DatasetVersion | None, model_version: Any, digest: str,
    count: int, results: dict, facts: dict, by,
) -> BiasAudit:  # fmt: skip
    """Store one audit of any kind and record its event (kind-specific `facts` added)."""
    if isinstance(privileged, list | tuple):
        privileged = ", ".join(str(p) for p in privileged)
    with transaction.atomic():
        obj = BiasAudit.objects.create(
            project=project,
            kind=kind,
            model_version=model_version,
            attributes=attributes,
            field=field,
            positive=positive,
            privileged=privileged or "",
            dataset_version=version,
            inputs_digest=digest,
            item_count=count,
            results=results,
            computed_by=by,
        )
        audit.record(
            action="governance.bias_audit.run",
            obj=obj,
            project=project,
            changes={
                "kind": kind,
                "attributes": attributes,
                "field": field,
                "positive": positive,
                "items": count,
                "inputs_digest": digest,
                **facts,
            },
            by=by,
        )
    return obj
