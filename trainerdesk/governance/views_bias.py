"""The bias pages' model-fairness and annotator-parity audits: the forms that run them
(on the bias audit list) and their detail pages. Owners and managers only (404 else)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from trainerdesk.governance import access, services
from trainerdesk.governance.models import BiasAudit
from trainerdesk.lib.errors import ConflictError, InvalidInput


def _model_versions(project):
    from trainerdesk.evaluation.models import ModelVersion

    return ModelVersion.objects.filter(project=project).order_by("-created_at", "-id")


def form_context(project) -> dict:
    return {"model_versions": _model_versions(project)[:200]}


@login_required
@require_POST
def run_model_fairness(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    mv = access.get_model_version_for_user(request.user, project, request.POST.get("model_version"))
    version = None
    if request.POST.get("dataset_version"):
        version = access.get_version_for_user(
            request.user, project, request.POST["dataset_version"]
        )
    return run_and_show(
        request,
        project,
        services.run_model_fairness_audit,
        model_version=mv,
        attribute=request.POST.get("attribute", ""),
        second_attribute=request.POST.get("second_attribute") or None,
        positive=request.POST.get("positive") or None,
        privileged=request.POST.get("privileged") or None,
        field=request.POST.get("field") or None,
        dataset_version=version,
    )


@login_required
@require_POST
def run_annotator_parity(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    return run_and_show(
        request,
        project,
        services.run_annotator_parity_audit,
        attribute=request.POST.get("attribute", ""),
        second_attribute=request.POST.get("second_attribute") or None,
        positive=request.POST.get("positive") or None,
        field=request.POST.get("field") or None,
    )


def run_and_show(request: HttpRequest, project, run: Callable[..., BiasAudit], **kwargs):
    """Run an audit service; show the audit, or the list with the service's message."""
    try:
        a = run(project=project, by=request.user, **kwargs)
    except (InvalidInput, ConflictError) as exc:
        messages.error(request, str(exc))
        return redirect("governance:bias_audits", project_id=project.pk)
    return redirect("governance:bias_audit", project_id=project.pk, audit_id=a.pk)


METRIC_NAMES = {
    "selection_rate": "Selection rate",
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "accuracy": "Accuracy",
}


def annotator_names(keys) -> dict[str, str]:
    """ "user:ID" -> username (an erased user stays "user #ID"); "imported:X" -> X."""
    ids = {int(k.split(":", 1)[1]) for k in keys if k.startswith("user:") and k[5:].isdigit()}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    out = {}
    for k in keys:
        kind, _, rest = k.partition(":")
        out[k] = (
            names.get(int(rest), f"user #{rest}") if kind == "user" and rest.isdigit() else rest
        )
    return out


def detail(request: HttpRequest, project, a: BiasAudit) -> HttpResponse:
    context: dict = {"project": project, "audit": a}
    if a.kind == BiasAudit.Kind.MODEL_FAIRNESS:
        report = a.model_fairness
        context |= {
            "report": report,
            "metrics": list(METRIC_NAMES.items()),
            "groups": [
                g | {"cells": [g[m] for m in METRIC_NAMES]} for g in report.get("groups", [])
            ],
            "fairlearn": sorted(report.get("fairlearn", {}).items()),
            "aif360": report.get("aif360", []),
        }
        return TemplateResponse(request, "governance/bias_audit_model.html", context)
    report = a.annotators
    names = annotator_names([x["annotator"] for x in report.get("annotators", [])])
    context |= {
        "report": report,
        "annotators": [x | {"name": names[x["annotator"]]} for x in report.get("annotators", [])],
        "flagged": [names[k] for k in report.get("flagged", [])],
    }
    return TemplateResponse(request, "governance/bias_audit_annotators.html", context)
