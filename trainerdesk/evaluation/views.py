"""The project's Model page: versions, the split, runs with intervals, slices worst first
and the confusion matrix of the chosen run (managers and reviewers; managers start)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from trainerdesk.evaluation import access, views_loop
from trainerdesk.evaluation import services as evaluation
from trainerdesk.evaluation.models import EvaluationRun, EvaluationSplit, TrainingRun
from trainerdesk.workbench import access as wb_access
from trainerdesk.workbench import views_runs
from trainerdesk.workbench.services import ConflictError, InvalidInput


def _run_context(project, run: EvaluationRun | None) -> dict:
    context = {"project": project, "run": run, "can_manage": wb_access.can(project, "manage")}
    if run is not None:
        context |= views_runs.card_context(
            run,
            poll_url=reverse("evaluation:run_progress", args=[project.pk, run.pk]),
            card_id="run-status",
            title=f"Evaluation {run.pk} of {run.version.name or '(unnamed)'}",
        )
        if run.status == EvaluationRun.Status.DONE:
            context["confusion_rows"] = list(
                zip(run.classes, run.metrics.get("confusion", []), strict=False)
            )
    return context


def _post(request: HttpRequest, project) -> HttpResponse:
    action = request.POST.get("action")
    if action in views_loop.ACTIONS:
        return views_loop.post(request, project, action)
    url = reverse("evaluation:models", args=[project.pk])
    try:
        if action == "split":
            split = evaluation.create_split(
                project=project,
                fraction=float(request.POST.get("fraction") or 0.2),
                seed=int(request.POST.get("seed") or 0),
                by=request.user,
            )
            messages.success(request, f"Evaluation split drawn: {len(split.item_ids)} items")
            return redirect(url)
        if action == "evaluate":
            version = access.get_version(project, request.POST.get("version"))
            slices = [s.strip() for s in request.POST.get("slices", "").split(",") if s.strip()]
            run = evaluation.start_evaluation(
                version=version,
                scope=request.POST.get("scope") or "split",
                against=request.POST.get("against") or "final",
                slices=slices,
                by=request.user,
            )
            return redirect(f"{url}?run={run.pk}")
        if action == "train":
            training = evaluation.train_baseline(
                project=project, name=request.POST.get("name", ""), by=request.user
            )
            messages.success(
                request, f"Training {training.pk} of the baseline {training.name!r} queued"
            )
            return redirect(f"{url}#baseline")
    except ValueError:
        messages.error(request, "fraction and seed must be numbers")
    except (InvalidInput, ConflictError) as exc:
        messages.error(request, str(exc))
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def models_page(request: HttpRequest, project_id: int) -> HttpResponse:
    if request.method == "POST":
        return _post(request, access.get_project(request.user, project_id, change=True))
    project = access.get_project(request.user, project_id)
    versions = evaluation.versions_with_predictions(project=project, by=request.user)
    runs = list(
        EvaluationRun.objects.filter(project=project).select_related("version", "created_by")[:50]
    )
    if request.GET.get("run"):
        run = access.get_run(project, request.GET["run"])
    else:
        run = next((r for r in runs if r.status == EvaluationRun.Status.DONE), None)
    context = (
        _run_context(project, run)
        | {
            "versions": versions,
            "runs": runs,
            "split": EvaluationSplit.objects.filter(project=project).first(),
            "fields": evaluation.classification_fields(project),
            "trainings": list(TrainingRun.objects.filter(project=project)[:5]),
        }
        | views_loop.page_context(project)
    )
    return TemplateResponse(request, "evaluation/models.html", context)


@login_required
@require_GET
def run_progress(request: HttpRequest, project_id: int, run_id: int) -> HttpResponse:
    project = access.get_project(request.user, project_id)
    run = access.get_run(project, run_id)
    page_url = reverse("evaluation:models", args=[project.pk]) + f"?run={run.pk}"
    if not request.htmx:
        return redirect(page_url)
    return views_runs.run_progress(request, _run_context(project, run), page_url=page_url)
