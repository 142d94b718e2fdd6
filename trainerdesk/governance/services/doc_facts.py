"""The facts governance documents are built from, read from the database as plain data
(dicts of numbers and strings) for the pure builders, with the id and hash of every record
read (`inputs`). Reads only: nothing here writes.

Labelling facts of a dataset version are counted over the annotations of the version's
items recorded up to the moment the version was built (its finished_at), so a later
annotation does not change an old version's datasheet; the version id (whose record hashes
cover each item's annotators, guideline versions and review decisions) is the input that
pins them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from django.db.models import Count, Q

from trainerdesk.evaluation.models import EvaluationRun, EvaluationSplit, ModelVersion, SuiteRun
from trainerdesk.governance import manifest
from trainerdesk.governance.doc_content import content_sha256, input_ref
from trainerdesk.governance.models import (
    BiasAudit,
    DataGap,
    DatasetVersion,
    DocumentVersion,
    UsedVersion,
    VersionRecord,
)
from trainerdesk.governance.services.doc_fairness import model_fairness_facts
from trainerdesk.governance.services.versions import iter_manifest
from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.jsonutil import iso_utc
from trainerdesk.quality.models import (
    AgreementReport,
    GoldAccuracySnapshot,
    LabelErrorFinding,
    LabelErrorRun,
    Review,
)
from trainerdesk.workbench.models import Annotation, GuidelineVersion, Item, Project


def _iso(value: Any) -> str:
    return iso_utc(value) if value is not None else ""


def _user(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _newest_done(model, run_type: str, project: Project, version: DatasetVersion, when: str):
    """(record, of_version): the newest finished record of `model` (a report or run) linked
    to `version` in the lineage table (services/lineage.py: matched by digest or recorded by
    a person), else the project's newest finished one (of_version False: the document
    then says "project-wide")."""
    done = model.objects.filter(project=project, status=model.Status.DONE)
    order = (f"-{when}", "-id")
    ids = UsedVersion.objects.filter(version=version, run_type=run_type).values("run_id")
    linked = done.filter(pk__in=ids).order_by(*order).first()
    if linked is not None:
        return linked, True
    return done.order_by(*order).first(), False


def project_facts(project: Project) -> dict[str, Any]:
    return {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "overlap": project.overlap,
        "fields": [
            {"name": f.name, "type": f.type, "labels": list(getattr(f, "label_values", []) or [])}
            for f in project.schema.fields
        ],
    }


def project_input(facts: dict[str, Any]) -> dict[str, Any]:
    """The project's own facts (name, description, schema) as an input: renaming it or
    changing its schema changes the documents."""
    return input_ref("project", facts["id"], content_sha256(facts), facts["name"])


def gap_facts(project: Project) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    gaps = [
        {
            "id": g.pk,
            "title": g.title,
            "status": g.status,
            "description": g.description,
            "resolution": g.resolution,
            "created_at": _iso(g.created_at),
            "closed_at": _iso(g.closed_at) or None,
        }
        for g in DataGap.objects.filter(project=project).order_by("id")
    ]
    if not gaps:
        return gaps, []
    return gaps, [input_ref("data_gaps", project.pk, content_sha256({"gaps": gaps}), "register")]


def audit_facts(audits) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    out, inputs = [], []
    for a in audits:
        parity = a.parity
        out.append(
            {
                "id": a.pk,
                "attributes": list(a.attributes),
                "field": a.field,
                "positive": a.positive,
                "items": a.item_count,
                "max_difference": parity.get("max_difference"),
                "min_ratio": parity.get("min_ratio"),
                "flag": bool(parity.get("four_fifths_flag")),
                "groups": [
                    {k: g.get(k) for k in ("group", "n", "rate", "low", "high")}
                    for g in parity.get("groups", [])
                ],
            }
        )
        inputs.append(input_ref("bias_audit", a.pk, a.inputs_digest, " × ".join(a.attributes)))
    return out, inputs


# --- datasheet -----------------------------------------------------------------------------


def require_version_of(project: Project, version: DatasetVersion) -> None:
    if version.project_id != project.pk:
        raise InvalidInput(
            [
                f"dataset_version: version #{version.pk} belongs to another project, not to "
                f"{project.name!r}: a datasheet documents a version of its own project"
            ]
        )
    if version.status != DatasetVersion.Status.DONE:
        raise ConflictError(
            f"dataset_version: version {version.name!r} is {version.status}, not built yet: "
            "a datasheet needs its records"
        )


def _label_counts(version: DatasetVersion, fields: list[dict]) -> tuple[dict, int, set[int]]:
    counts: dict[str, Counter[str]] = {f["name"]: Counter() for f in fields}
    no_final = 0
    ids: set[int] = set()
    for item_id, _h, final in iter_manifest(version):
        ids.add(item_id)
        if not isinstance(final, dict):
            no_final += 1
            continue
        for name, c in counts.items():
            if final.get(name) is not None:
                c[manifest.label_of(final[name])] += 1
    ordered = {
        name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for name, c in counts.items()
    }
    return {k: [list(kv) for kv in v] for k, v in ordered.items()}, no_final, ids


def _annotation_facts(version: DatasetVersion, project: Project) -> dict[str, Any]:
    item_ids = VersionRecord.objects.filter(version=version).values("item_id")
    anns = Annotation.objects.filter(project=project, item_id__in=item_ids)
    if version.finished_at is not None:
        anns = anns.filter(created_at__lte=version.finished_at)
    totals = anns.aggregate(
        count=Count("id", filter=Q(skipped=False)),
        skipped=Count("id", filter=Q(skipped=True)),
        imported=Count("id", filter=Q(annotator__isnull=True)),
    )
    who = set(anns.values_list("annotator_id", "imported_annotator").distinct())
    per_guideline = dict(
        anns.values_list("guideline_version").annotate(n=Count("id")).order_by("guideline_version")
    )
    published = {
        g.version: g
        for g in GuidelineVersion.objects.filter(project=project, version__in=per_guideline)
    }
    guidelines = []
    for number, n in sorted(per_guideline.items()):
        g = published.get(number)
        guidelines.append(
            {
                "version": number,
                "pk": g.pk if g else None,
                "created_at": _iso(g.created_at) if g else "",
                "sha256": hashlib.sha256(g.text.encode()).hexdigest() if g else "",
                "annotations": n,
            }
        )
    reviews = Review.objects.filter(project=project, annotation__in=anns)
    if version.finished_at is not None:
        reviews = reviews.filter(created_at__lte=version.finished_at)
    latest = reviews.latest_per_annotation()
    decisions = dict(latest.values_list("decision").annotate(n=Count("id")).order_by("decision"))
    return {
        "annotations": {
            "count": totals["count"],
            "skipped": totals["skipped"],
            "imported": totals["imported"],
            "annotators": len(who),
            "cutoff": _iso(version.finished_at),
        },
        "annotator_ids": sorted(u for u, _ in who if u is not None),
        "guidelines": guidelines,
        "reviews": {
            "reviewed": latest.values("annotation_id").distinct().count(),
            "decisions": decisions,
            "reviewers": reviews.values("reviewer_id").distinct().count(),
        },
    }


def _gold_facts(project: Project, annotator_ids: list[int]) -> tuple[list, int, list]:
    rows, inputs = [], []
    for uid in annotator_ids:
        snap = (
            GoldAccuracySnapshot.objects.filter(project=project, annotator_id=uid)
            .order_by("-computed_at", "-id")
            .first()
        )
        if snap is None:
            continue
        rows.append(
            {
                "id": snap.pk,
                "annotator": f"annotator #{uid}",
                "n": snap.n,
                "correct": snap.correct,
                "accuracy": snap.accuracy,
                "low": snap.low,
                "high": snap.high,
                "status": snap.status,
                "computed_at": _iso(snap.computed_at),
            }
        )
        inputs.append(input_ref("gold_snapshot", snap.pk, snap.items_digest, f"annotator #{uid}"))
    return rows, len(annotator_ids) - len(rows), inputs


def _agreement_facts(project: Project, version: DatasetVersion) -> tuple[dict | None, list]:
    rep, of_version = _newest_done(
        AgreementReport, UsedVersion.RunType.AGREEMENT_REPORT, project, version, "computed_at"
    )
    if rep is None:
        return None, []
    fields = [
        {
            "name": name,
            "percent": res.get("percent_agreement"),
            "alpha": res.get("alpha"),
            "kappa": res.get("fleiss_kappa"),
        }
        for name, res in sorted(rep.results.get("fields", {}).items())
    ]
    facts = {
        "id": rep.pk,
        "computed_at": _iso(rep.computed_at or rep.finished_at),
        "items": rep.item_count,
        "annotations": rep.annotation_count,
        "fields": fields,
        # Recorded in the lineage table as computed on this version, or only the
        # project's newest report.
        "of_version": of_version,
    }
    return facts, [input_ref("agreement_report", rep.pk, rep.digest, "agreement")]


def _label_error_facts(project: Project, version: DatasetVersion) -> tuple[dict | None, list]:
    run, of_version = _newest_done(
        LabelErrorRun, UsedVersion.RunType.LABEL_ERROR_RUN, project, version, "finished_at"
    )
    if run is None:
        return None, []
    findings = LabelErrorFinding.objects.filter(run=run)
    by_status = dict(findings.values_list("status").annotate(n=Count("id")).order_by("status"))
    S = LabelErrorFinding.Status
    decided = (
        findings.exclude(status=S.OPEN)
        .order_by("id")
        .values_list("id", "status", "corrected_label")
    )
    facts = {
        "id": run.pk,
        "field": run.field_name,
        "finished_at": _iso(run.finished_at),
        "considered": run.items_considered,
        "of_version": of_version,
        "issues": run.issues_found,
        "open": by_status.get(S.OPEN, 0),
        "confirmed": by_status.get(S.CONFIRMED_ERROR, 0),
        "not_error": by_status.get(S.NOT_AN_ERROR, 0),
        "corrected": findings.filter(status=S.CONFIRMED_ERROR).exclude(corrected_label="").count(),
    }
    # The verdicts change after the run: their digest is an input of their own.
    return facts, [
        input_ref("label_error_run", run.pk, run.items_digest, run.field_name),
        input_ref("label_error_verdicts", run.pk, lines_digest(decided), "reviewed findings"),
    ]


def datasheet_facts(project: Project, version: DatasetVersion) -> dict[str, Any]:
    require_version_of(project, version)
    p = project_facts(project)
    labels, no_final, ids = _label_counts(version, p["fields"])
    split = EvaluationSplit.objects.filter(project=project).first()
    ann = _annotation_facts(version, project)
    gold, gold_missing, gold_inputs = _gold_facts(project, ann.pop("annotator_ids"))
    agreement, agr_inputs = _agreement_facts(project, version)
    label_errors, le_inputs = _label_error_facts(project, version)
    audits, audit_inputs = audit_facts(
        BiasAudit.objects.filter(project=project, dataset_version=version).order_by("id")
    )
    gaps, gap_inputs = gap_facts(project)
    gold_items = Item.objects.filter(
        project=project,
        is_gold=True,
        id__in=VersionRecord.objects.filter(version=version).values("item_id"),
    ).count()
    guideline_inputs = [
        input_ref("guideline_version", g["pk"], g["sha256"], f"v{g['version']}")
        for g in ann["guidelines"]
        if g["sha256"]
    ]
    return {
        "project": p,
        "version": {
            "id": version.pk,
            "name": version.name,
            "version_id": version.version_id,
            "record_count": version.record_count,
            "final_label_rule": version.final_label_rule,
            "built_at": _iso(version.finished_at),
            "created_by": _user(version.created_by),
            "tags": list(version.tags),
            "notes": version.notes,
        },
        "labels": labels,
        "no_final": no_final,
        "gold_items": gold_items,
        "split_items": len(ids.intersection(split.item_ids)) if split else None,
        **ann,
        "gold": gold,
        "gold_missing": gold_missing,
        "agreement": agreement,
        "label_errors": label_errors,
        "bias_audits": audits,
        "gaps": gaps,
        "inputs": [
            project_input(p),
            input_ref("dataset_version", version.pk, version.version_id, version.name),
            *(
                [input_ref("evaluation_split", split.pk, split.items_digest, "split")]
                if split
                else []
            ),
            *guideline_inputs,
            *gold_inputs,
            *agr_inputs,
            *le_inputs,
            *audit_inputs,
            *gap_inputs,
        ],
    }


# --- model card and Annex IV -----------------------------------------------------------------


def _used_version(run: EvaluationRun) -> DatasetVersion | None:
    """The dataset version the lineage table says the run used (the newest link)."""
    link = (
        UsedVersion.objects.filter(
            project_id=run.project_id, run_type=UsedVersion.RunType.EVALUATION_RUN, run_id=run.pk
        )
        .select_related("version")
        .first()
    )
    return link.version if link is not None else None


def _run_facts(run: EvaluationRun) -> dict[str, Any]:
    m, ci = run.metrics, run.metrics.get("intervals", {})
    dv = _used_version(run)
    return {
        "id": run.pk,
        "version": run.version.name,
        "field": run.field_name,
        "scope": run.scope,
        "against": run.against,
        "items": run.items_evaluated,
        "left_out": run.items_left_out,
        "digest": run.items_digest,
        "computed_at": _iso(run.computed_at or run.finished_at),
        "created_by": _user(run.created_by),
        "accuracy": ci.get("accuracy"),
        "error_rate": ci.get("error_rate"),
        "macro_f1": ci.get("macro_f1"),
        "kappa": m.get("kappa"),
        "probabilities": bool(m.get("probabilities")),
        "method": ci.get("method", ""),
        "resamples": ci.get("resamples", 0),
        "seed": ci.get("seed", 0),
        "slices": [
            {k: s.get(k) for k in ("key", "value", "n", "small", "error_rate", "accuracy")}
            for s in run.slices
        ],
        "dataset_version": (
            {"id": dv.pk, "name": dv.name, "version_id": dv.version_id} if dv else None
        ),
    }


def _version_facts(version: ModelVersion, audits) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    runs = list(
        EvaluationRun.objects.filter(version=version, status=EvaluationRun.Status.DONE)
        .select_related("version", "created_by")
        .order_by("-computed_at", "-id")
    )
    if not runs:
        raise InvalidInput(
            [
                f"model_version: {version.name or '(unnamed)'!r} has no finished evaluation "
                "run: evaluate it on the Model page first (a model card reports measured "
                "metrics, never invented ones)"
            ]
        )
    facts = {
        "id": version.pk,
        "name": version.name,
        "model": version.model.name,
        "source": version.get_source_display(),
        "created_at": _iso(version.created_at),
        "created_by": _user(version.created_by),
        "notes": version.notes,
        "training": version.training or {},
        "training_digest": version.training_digest,
        "runs": [_run_facts(r) for r in runs],
    }
    facts["fairness"], inputs = model_fairness_facts(version.project, version, audits)
    suite_runs = list(
        SuiteRun.objects.filter(version=version, status=SuiteRun.Status.DONE)
        .select_related("suite", "created_by")
        .order_by("-computed_at", "-id")
    )
    facts["suite_runs"] = [
        {
            "id": r.pk,
            "suite": r.suite.name,
            "computed_at": _iso(r.computed_at or r.finished_at),
            "created_by": _user(r.created_by),
            "cases": r.cases,
            "passed": r.passed,
            "digest": r.cases_digest,
            "tests": [
                {"name": t.get("name", ""), "kind": t.get("kind") or t.get("type", ""),
                 "cases": t.get("cases", 0), "passed": t.get("passed", 0)}
                for t in r.results if isinstance(t, dict)
            ],
        }
        for r in suite_runs
    ]  # fmt: skip
    inputs += [input_ref("suite_run", r.pk, r.cases_digest, r.suite.name) for r in suite_runs]
    inputs.append(input_ref("model_version", version.pk, version.training_digest, version.name))
    inputs += [input_ref("evaluation_run", r.pk, r.items_digest, version.name) for r in runs]
    return facts, inputs


def require_model_versions(project: Project, ids: list[int]) -> list[ModelVersion]:
    if not ids:
        raise InvalidInput(["model_versions: name at least one model version"])
    found = {
        v.pk: v
        for v in ModelVersion.objects.filter(pk__in=ids).select_related("model", "created_by")
    }
    errors = [
        f"model_versions: #{pk} is not a model version of project {project.name!r}"
        for pk in ids
        if pk not in found or found[pk].project_id != project.pk
    ]
    if errors:
        raise InvalidInput(errors)
    return [found[pk] for pk in sorted(set(ids))]


def _split_facts(project: Project) -> tuple[dict | None, list]:
    split = EvaluationSplit.objects.filter(project=project).first()
    if split is None:
        return None, []
    facts = {
        "items": len(split.item_ids),
        "field": split.field_name,
        "fraction": split.fraction,
        "seed": split.seed,
        "digest": split.items_digest,
        "created_at": _iso(split.created_at),
    }
    return facts, [input_ref("evaluation_split", split.pk, split.items_digest, "split")]


def model_card_facts(project: Project, version: ModelVersion) -> dict[str, Any]:
    (version,) = require_model_versions(project, [version.pk])
    audit_rows = list(BiasAudit.objects.filter(project=project).order_by("id"))
    v, inputs = _version_facts(version, audit_rows)
    split, split_inputs = _split_facts(project)
    audits, audit_inputs = audit_facts(audit_rows)
    p = project_facts(project)
    return {
        "project": p,
        "model": {"id": version.model_id, "name": version.model.name},
        "version": v,
        "runs": v["runs"],
        "split": split,
        "bias_audits": audits,
        "inputs": [project_input(p), *inputs, *split_inputs, *audit_inputs],
    }


def _datasheet_rows(project: Project, runs: list[dict]) -> tuple[list[dict], list[dict]]:
    """The dataset versions the runs name, else the project's newest built one, each with
    its newest datasheet document."""
    linked = {r["dataset_version"]["id"] for r in runs if r["dataset_version"]}
    built = DatasetVersion.objects.filter(project=project, status=DatasetVersion.Status.DONE)
    versions = list(built.filter(pk__in=linked).order_by("-id")) or list(built.order_by("-id")[:1])
    rows, inputs = [], []
    for dv in versions:
        doc = (
            DocumentVersion.objects.filter(project=project, subject_key=f"datasheet:{dv.pk}")
            .order_by("-number")
            .first()
        )
        rows.append(
            {
                "id": dv.pk,
                "name": dv.name,
                "version_id": dv.version_id,
                "record_count": dv.record_count,
                "document": (
                    {
                        "id": doc.pk,
                        "number": doc.number,
                        "content_sha256": doc.content_sha256,
                        "approved": doc.approved,
                    }
                    if doc
                    else None
                ),
            }
        )
        inputs.append(input_ref("dataset_version", dv.pk, dv.version_id, dv.name))
        if doc:
            inputs.append(input_ref("datasheet", doc.pk, doc.content_sha256, f"v{doc.number}"))
    return rows, inputs


def _labelling_summary(project: Project, rows: list[dict]) -> dict[str, Any]:
    if not rows:
        return {"annotations": 0, "annotators": 0, "guidelines": 0, "reviewed": 0, "rule": ""}
    dv = DatasetVersion.objects.get(pk=rows[0]["id"])
    ann = _annotation_facts(dv, project)
    return {
        "annotations": ann["annotations"]["count"],
        "annotators": ann["annotations"]["annotators"],
        "guidelines": len(ann["guidelines"]),
        "reviewed": ann["reviews"]["reviewed"],
        "rule": dv.final_label_rule or "not recorded",
    }


def annex_iv_facts(project: Project, version_ids: list[int]) -> dict[str, Any]:
    versions = require_model_versions(project, version_ids)
    audit_rows = list(BiasAudit.objects.filter(project=project).order_by("id"))
    facts, inputs = [], []
    for v in versions:
        f, i = _version_facts(v, audit_rows)
        facts.append(f)
        inputs += i
    runs = [r for f in facts for r in f["runs"]]
    datasheets, ds_inputs = _datasheet_rows(project, runs)
    audits, audit_inputs = audit_facts(audit_rows)
    gaps, gap_inputs = gap_facts(project)
    split, split_inputs = _split_facts(project)
    p = project_facts(project)
    return {
        "project": p,
        "versions": facts,
        "datasheets": datasheets,
        "labelling": _labelling_summary(project, datasheets),
        "split": split,
        "bias_audits": audits,
        "gaps": gaps,
        "inputs": [
            project_input(p),
            *inputs,
            *ds_inputs,
            *audit_inputs,
            *gap_inputs,
            *split_inputs,
        ],  # fmt: skip
    }
