"""Which dataset version a run used: matched by digest, or recorded by a person.

The rule (issue 13, "Dataset versions", last bullet). Every run stores a digest of its
inputs in its own line format (lib/digest.py); a version stores, per item, its final
answer. A run *used* version V when its stored digest equals the digest recomputed, in
the run's own format, from V's stored finals — i.e. the run read exactly the labels V
froze, no more, no fewer, none different:

- label-error run (quality): `item id<TAB>label` over the items whose final label in the
  run's field is one of the run's classes and whose text is not empty, item-id order
  (quality/services/label_error_runs.py `_read_labels`);
- model version from the baseline trainer (evaluation; and its training run):
  `training_digest`, `item id<TAB>label` over the items with a final label of the field
  outside the evaluation split (evaluation/baseline.py `training_digest`);
- evaluation run against final labels (evaluation): `item id<TAB>reference<TAB>
  prediction` over the items in its scope with a valid final label and a prediction of
  its model version, the latest one (evaluation/services/runs.py `rows_digest`); the
  predictions are read now, so a version whose predictions changed since no longer
  matches (the link is then left to a person). Against gold references: never matched
  (their reference is not the version's final);
- agreement report (quality): its digest is over annotation ids and their updated_at,
  which a version does not keep (its record hash covers the annotators and the final,
  not the annotation rows): only recorded explicitly.

Matching runs when a version is built (against the project's finished runs) and when a
run finishes (against the project's built versions, from its finish hook registered in
apps.py: the runs' apps sit below governance and never call it). A person records any
other link (`record_used_version`), e.g. "this agreement report was computed on v3".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from trainerdesk.governance.models import DatasetVersion, UsedVersion
from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench.models import Item, Prediction, Project

RunType = UsedVersion.RunType


def _run_models() -> dict[str, Any]:
    from trainerdesk.evaluation.models import EvaluationRun, ModelVersion, TrainingRun
    from trainerdesk.quality.models import AgreementReport, LabelErrorRun

    return {
        RunType.AGREEMENT_REPORT: AgreementReport,
        RunType.LABEL_ERROR_RUN: LabelErrorRun,
        RunType.EVALUATION_RUN: EvaluationRun,
        RunType.TRAINING_RUN: TrainingRun,
        RunType.MODEL_VERSION: ModelVersion,
    }


def get_run(project: Project, run_type: str, run_id: Any) -> Any:
    model = _run_models().get(run_type)
    if model is None:
        kinds = ", ".join(RunType.values)
        raise InvalidInput([f"run_type: {run_type!r} is not one of {kinds}"])
    try:
        key = int(run_id)
    except (TypeError, ValueError):
        raise InvalidInput([f"run_id: {run_id!r} is not an id"]) from None
    run = model.objects.filter(pk=key, project=project).first()
    if run is None:
        raise InvalidInput([f"run_id: this project has no {RunType(run_type).label.lower()} {key}"])
    return run


def _field(project: Project, name: str):
    for f in project.schema.fields:
        if f.name == name:
            return f
    return None


def _text(value: Any) -> str:
    # evaluation/services/runs.py `_as_text`
    return "|".join(sorted(value)) if isinstance(value, list) else str(value)


def _finals(version: DatasetVersion) -> Iterable[tuple[int, Any]]:
    from trainerdesk.governance.services.versions import iter_manifest

    for item_id, _h, final in iter_manifest(version):
        yield item_id, final


def _label_error_digest(version: DatasetVersion, run: Any) -> str | None:
    f = _field(version.project, run.field_name)
    if f is None:
        return None
    classes = set(run.classes)
    rows = [(i, (fin or {}).get(f.name)) for i, fin in _finals(version) if isinstance(fin, dict)]
    rows = [(i, label) for i, label in rows if isinstance(label, str) and label in classes]
    if not f.source:
        return None
    items = Item.objects.filter(project_id=version.project_id).order_by("pk")
    texts = dict(items.values_list("pk", f"data__{f.source}").iterator(chunk_size=5000))
    digest = LineDigest()
    for i, label in rows:
        text = texts.get(i)
        if isinstance(text, str) and text.strip():
            digest.add(i, label)
    return digest.hexdigest()


def _training_digest(version: DatasetVersion, model_version: Any) -> str | None:
    from trainerdesk.evaluation.services.splits import held_out_ids

    name = (model_version.training or {}).get("field_name")
    f = _field(version.project, name) if name else None
    if f is None or not model_version.training_digest:
        return None
    held, known = held_out_ids(version.project), set(f.label_values)
    digest = LineDigest()
    for i, fin in _finals(version):
        label = fin.get(f.name) if isinstance(fin, dict) else None
        if i not in held and isinstance(label, str) and label in known:
            digest.add(i, label)
    return digest.hexdigest()


def _evaluation_digest(version: DatasetVersion, run: Any) -> str | None:
    from trainerdesk.evaluation.models import EvaluationRun, EvaluationSplit

    f = _field(version.project, run.field_name)
    if f is None or run.against != EvaluationRun.Against.FINAL:
        return None
    scope: set[int] | None = None
    if run.scope == EvaluationRun.Scope.SPLIT:
        split = EvaluationSplit.objects.filter(project=version.project).first()
        scope = set(split.item_ids) if split else set()
    labels = set(f.label_values)
    truth: dict[int, Any] = {}
    for i, fin in _finals(version):
        value = fin.get(f.name) if isinstance(fin, dict) else None
        if value is None or (scope is not None and i not in scope):
            continue
        values = value if isinstance(value, list) else [value]
        if (isinstance(value, list) == bool(f.multiple)) and all(v in labels for v in values):
            truth[i] = value
    latest: dict[int, Any] = {}
    predictions = (
        Prediction.objects.filter(item__project=version.project, model_version=run.version.name)
        .order_by("item_id", "created_at", "pk")
        .values_list("item_id", "answer")
    )
    for item_id, answer in predictions.iterator(chunk_size=5000):
        if item_id in truth and isinstance(answer, dict) and f.name in answer:
            latest[item_id] = answer[f.name]
    digest = LineDigest()
    for i in sorted(latest):
        digest.add(i, _text(truth[i]), _text(latest[i]))
    return digest.hexdigest()


def _candidates(project: Project) -> list[tuple[str, Any, str]]:
    """(run type, run, its stored digest) of every finished run that can match."""
    models = _run_models()
    done = "done"
    out: list[tuple[str, Any, str]] = []
    for run in models[RunType.LABEL_ERROR_RUN].objects.filter(project=project, status=done):
        if run.items_digest:
            out.append((RunType.LABEL_ERROR_RUN, run, run.items_digest))
    for run in (
        models[RunType.EVALUATION_RUN]
        .objects.filter(project=project, status=done)
        .select_related("version")
    ):
        if run.items_digest:
            out.append((RunType.EVALUATION_RUN, run, run.items_digest))
    for mv in (
        models[RunType.MODEL_VERSION].objects.filter(project=project).exclude(training_digest="")
    ):
        out.append((RunType.MODEL_VERSION, mv, mv.training_digest))
    return out


def _recompute(version: DatasetVersion, run_type: str, run: Any) -> str | None:
    if run_type == RunType.LABEL_ERROR_RUN:
        return _label_error_digest(version, run)
    if run_type == RunType.EVALUATION_RUN:
        return _evaluation_digest(version, run)
    if run_type == RunType.MODEL_VERSION:
        return _training_digest(version, run)
    return None


def _link(version: DatasetVersion, matches: list[tuple[str, int, str]], **who: Any) -> int:
    """Store digest links not stored yet and record them in one event; how many were new."""
    if not matches:
        return 0
    with transaction.atomic():
        existing = set(
            UsedVersion.objects.filter(version=version).values_list("run_type", "run_id")
        )
        new = [m for m in matches if (m[0], m[1]) not in existing]
        if not new:
            return 0
        UsedVersion.objects.bulk_create(
            [
                UsedVersion(
                    version=version,
                    project_id=version.project_id,
                    run_type=t,
                    run_id=i,
                    match=UsedVersion.Match.DIGEST,
                    digest=d,
                )
                for t, i, d in new
            ],
            ignore_conflicts=True,
        )
        audit.record(
            action="governance.lineage.record",
            obj=version,
            project=version.project,
            changes={"match": "digest", "runs": [f"{t}:{i}" for t, i, _ in new]},
            **who,
        )
    return len(new)


def _with_training_runs(matches: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """A matched baseline model version's training run used the same version."""
    from trainerdesk.evaluation.models import TrainingRun

    out = list(matches)
    for t, i, d in matches:
        if t == RunType.MODEL_VERSION:
            for run_id in TrainingRun.objects.filter(version_id=i).values_list("pk", flat=True):
                out.append((RunType.TRAINING_RUN, run_id, d))
    return out


def match_version(version: DatasetVersion, *, system: str = "lineage") -> int:
    """Link a built version to every finished run of its project whose digest it gives."""
    if version.status != DatasetVersion.Status.DONE:
        return 0
    matches = []
    for run_type, run, stored in _candidates(version.project):
        if _recompute(version, run_type, run) == stored:
            matches.append((str(run_type), run.pk, stored))
    return _link(version, _with_training_runs(matches), system=system)


def match_run(run_type: str, run: Any, *, system: str = "lineage") -> int:
    """Link a finished run (or baseline model version) to every built version of its
    project that gives its digest."""
    stored = run.training_digest if run_type == RunType.MODEL_VERSION else run.items_digest
    if not stored:
        return 0
    added = 0
    versions = DatasetVersion.objects.filter(
        project_id=run.project_id, status=DatasetVersion.Status.DONE
    ).select_related("project")
    for version in versions:
        if _recompute(version, run_type, run) == stored:
            added += _link(
                version, _with_training_runs([(run_type, run.pk, stored)]), system=system
            )
    return added


def record_used_version(
    *, version: DatasetVersion, run_type: str, run_id: Any, note: str = "", by
) -> UsedVersion:
    """A person's statement that a run used `version` (any run type, e.g. an agreement
    report, which no digest can match). Idempotent per (version, run)."""
    run = get_run(version.project, run_type, run_id)
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(["note: at most 2,000 characters"])
    with transaction.atomic():
        link, created = UsedVersion.objects.get_or_create(
            version=version,
            run_type=run_type,
            run_id=run.pk,
            defaults={
                "project_id": version.project_id,
                "match": UsedVersion.Match.EXPLICIT,
                "note": note,
                "recorded_by": by,
            },
        )
        if created:
            audit.record(
                action="governance.lineage.record",
                obj=version,
                project=version.project,
                changes={"match": "explicit", "runs": [f"{run_type}:{run.pk}"], "note": note},
                by=by,
            )
    return link


def links_of(version: DatasetVersion) -> list[dict[str, Any]]:
    """The version's links with what each run is (its label, its page when it has one)."""
    from django.urls import NoReverseMatch, reverse

    out = []
    for link in UsedVersion.objects.filter(version=version).select_related("recorded_by"):
        url = ""
        try:
            if link.run_type == RunType.LABEL_ERROR_RUN:
                url = reverse("quality:label_error_run", args=[version.project_id, link.run_id])
            elif link.run_type == RunType.AGREEMENT_REPORT:
                url = reverse("quality:quality_page", args=[version.project_id])
            else:
                url = reverse("evaluation:models", args=[version.project_id])
        except NoReverseMatch:
            url = ""
        out.append(link_dict(link) | {"run_label": RunType(link.run_type).label, "url": url})
    return out


def link_dict(link: UsedVersion) -> dict[str, Any]:
    """A link as the page and the API show it."""
    return {
        "version": link.version_id,
        "run_type": link.run_type,
        "run_id": link.run_id,
        "match": link.match,
        "digest": link.digest,
        "note": link.note,
        "recorded_at": link.recorded_at,
        "recorded_by": link.recorded_by.get_username() if link.recorded_by else None,
    }


def versions_used_by(project: Project, run_type: str, run_id: int) -> list[UsedVersion]:
    return list(
        UsedVersion.objects.filter(project_id=project.pk, run_type=run_type, run_id=run_id)
        .select_related("version")
        .order_by("version__created_at")
    )
