"""The feedback loop's pages: its sections of the Model page (active learning, iterations
with the error-rate chart, the disagreement queue), error analysis of a run, the model
review queue and the comparison of runs. Managers and reviewers see them, managers act;
everyone else gets 404 (evaluation.access)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods

from trainerdesk.evaluation import access
from trainerdesk.evaluation.models import EvaluationRun, Iteration, QueueReorder
from trainerdesk.evaluation.models.loop import Strategy
from trainerdesk.evaluation.services import active_queue, feedback, iterations
from trainerdesk.workbench import access as wb_access
from trainerdesk.workbench import views_runs
from trainerdesk.workbench.services import ConflictError, InvalidInput

# The Model page's POST actions this module answers (views._post hands them over).
ACTIONS = ("active", "reorder", "disagreements", "iteration")


def _reorder_card(project, reorder: QueueReorder) -> dict:
    card = views_runs.card_context(
        reorder,
        poll_url=reverse("evaluation:reorder_progress", args=[project.pk, reorder.pk]),
        card_id="reorder-status",
        title=f"Queue re-ordering {reorder.pk}",
    )
    return {f"reorder_{k}": v for k, v in card.items()}


def page_context(project) -> dict:
    """What the Model page's loop sections show."""
    items = list(
        Iteration.objects.filter(project=project).select_related("version", "run", "run__version")
    )
    reorder = QueueReorder.objects.filter(project=project).select_related("version").first()
    chart = {"labels": [], "error": [], "low": [], "high": []}
    for it in items:
        it.change_text = iterations.change_text(it.change)
        e = iterations.error_rate(it.run) or {}
        chart["labels"].append(f"{it.number}. {it.name}")
        chart["error"].append(e.get("value"))
        chart["low"].append(e.get("low"))
        chart["high"].append(e.get("high"))
    done_runs = EvaluationRun.objects.filter(project=project, status=EvaluationRun.Status.DONE)
    context = {
        "active": active_queue.settings_of(project),
        "strategies": Strategy.choices,
        "reorders": list(
            QueueReorder.objects.filter(project=project).select_related("version")[:5]
        ),
        "iterations": items,
        "iterations_chart": chart,
        "loop_headline": iterations.headline(items),
        "done_runs": list(done_runs.select_related("version")[:50]),
    }
    if reorder is not None:
        context |= _reorder_card(project, reorder)
    return context


def post(request: HttpRequest, project, action: str) -> HttpResponse:
    url = reverse("evaluation:models", args=[project.pk])
    try:
        if action == "active":
            version_id = request.POST.get("version")
            version = access.get_version(project, version_id) if version_id else None
            active_queue.update_settings(
                project=project,
                strategy=request.POST.get("strategy", "off"),
                random_share=float(request.POST.get("random_share") or 0.1),
                version=version,
                seed=int(request.POST.get("seed") or 0),
                by=request.user,
            )
            messages.success(request, "Active-learning setting saved")
            return redirect(f"{url}#active")
        if action == "reorder":
            run = active_queue.start_reorder(project=project, by=request.user)
            messages.success(request, f"Re-ordering {run.pk} of the queue queued")
            return redirect(f"{url}#active")
        if action == "disagreements":
            version = access.get_version(project, request.POST.get("version"))
            batch = feedback.send_disagreements(
                project=project,
                version=version,
                kind=request.POST.get("kind") or "review",
                by=request.user,
            )
            if batch is None:
                messages.info(request, f"{version.name} agrees with people on every item")
                return redirect(f"{url}#disagreements")
            messages.success(request, f"{batch.get_kind_display()}: {len(batch.entries)} items")
            return redirect(reverse("evaluation:review_queue", args=[project.pk]))
        if action == "iteration":
            run = access.get_run(project, request.POST.get("run"))
            it = iterations.record_iteration(
                project=project, run=run, name=request.POST.get("name", ""), by=request.user
            )
            messages.success(request, f"Iteration {it.number} recorded")
            return redirect(f"{url}#loop")
    except ValueError:
        messages.error(request, "random share and seed must be numbers")
    except (InvalidInput, ConflictError) as exc:
        messages.error(request, str(exc))
    return redirect(url)


@login_required
@require_GET
def reorder_progress(request: HttpRequest, project_id: int, reorder_id: int) -> HttpResponse:
    project = access.get_project(request.user, project_id)
    reorder = QueueReorder.objects.filter(pk=reorder_id, project=project).first()
    if reorder is None:
        from django.http import Http404

        raise Http404("No such re-ordering")
    page_url = reverse("evaluation:models", args=[project.pk]) + "#active"
    if not request.htmx:
        return redirect(page_url)
    card = _reorder_card(project, reorder)
    context = {k.removeprefix("reorder_"): v for k, v in card.items()}
    return views_runs.run_progress(request, context, page_url=page_url)


def _suite_url(project) -> str | None:
    """The behavioural suites' "add cases" view (suites12 builds it), when installed: the
    button is rendered only if its URL name resolves (with the project id, or without)."""
    for args in ([project.pk], []):
        try:
            return reverse("evaluation:suite_add_cases", args=args)
        except NoReverseMatch:
            continue
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def run_errors(request: HttpRequest, project_id: int, run_id: int) -> HttpResponse:
    if request.method == "POST":
        project = access.get_project(request.user, project_id, change=True)
        run = access.get_run(project, run_id)
        url = reverse("evaluation:run_errors", args=[project.pk, run.pk])
        ids = [int(v) for v in request.POST.getlist("item") if v.isdigit()]
        kind = request.POST.get("kind", "")
        try:
            batch = feedback.send_items(
                project=project,
                kind=kind,
                entries=[
                    {"item": pk, "reason": f"an error of evaluation run {run.pk}"} for pk in ids
                ],
                source="errors",
                version=run.version,
                run=run,
                by=request.user,
            )
            messages.success(request, f"{batch.get_kind_display()}: {len(batch.entries)} items")
        except InvalidInput as exc:
            messages.error(request, str(exc))
        return redirect(url)
    project = access.get_project(request.user, project_id)
    run = access.get_run(project, run_id)
    errors: list[dict] = []
    if run.status == EvaluationRun.Status.DONE:
        errors = feedback.run_errors(run=run)
    truth, pred = request.GET.get("truth", ""), request.GET.get("pred", "")
    low, high = _float(request.GET.get("min")), _float(request.GET.get("max"))
    groups: dict[tuple[str, str], int] = {}
    for e in errors:
        groups[(e["truth"], e["pred"])] = groups.get((e["truth"], e["pred"]), 0) + 1
    shown = [
        e
        for e in errors
        if (not truth or e["truth"] == truth)
        and (not pred or e["pred"] == pred)
        and (low is None or (e["confidence"] or 0) >= low)
        and (high is None or (e["confidence"] or 0) <= high)
    ]
    context = {
        "project": project,
        "run": run,
        "errors": shown[:500],
        "total": len(errors),
        "matching": len(shown),
        "groups": sorted(groups.items(), key=lambda kv: -kv[1]),
        "filters": {
            "truth": truth,
            "pred": pred,
            "min": request.GET.get("min", ""),
            "max": request.GET.get("max", ""),
        },
        "can_manage": wb_access.can(project, "manage"),
        "suite_url": _suite_url(project),
        # Only managers reach the suites' view; its list is theirs to choose from.
        "suites": list(project.eval_suites.order_by("name").values_list("pk", "name"))
        if hasattr(project, "eval_suites")
        else [],
        "here": request.get_full_path(),
    }
    return TemplateResponse(request, "evaluation/errors.html", context)


@login_required
@require_GET
def review_queue(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project(request.user, project_id)
    context = {
        "project": project,
        "entries": feedback.review_entries(project=project),
        "reasons": feedback.REASONS,
    }
    return TemplateResponse(request, "evaluation/review_queue.html", context)


@login_required
@require_GET
def compare_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project(request.user, project_id)
    ids = [v for v in request.GET.getlist("run") if v.isdigit()]
    runs = [access.get_run(project, pk) for pk in dict.fromkeys(ids)]
    result, problem = None, None
    if len(runs) >= 2:
        try:
            result = iterations.compare_many(runs=runs)
        except InvalidInput as exc:
            problem = str(exc)
    context = {
        "project": project,
        "result": result,
        "problem": problem,
        "chosen": {r.pk for r in runs},
        "done_runs": list(
            EvaluationRun.objects.filter(
                project=project, status=EvaluationRun.Status.DONE
            ).select_related("version")[:50]
        ),
    }
    return TemplateResponse(request, "evaluation/compare.html", context)
