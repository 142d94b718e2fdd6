"""Dataset-version pages: list and create (with the build's progress), detail, diff,
export download. Owners and managers only (governance/access.py: 404 for the rest)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from trainerdesk.governance import access, services
from trainerdesk.governance.models import DatasetVersion
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.workbench import views_runs


def _card(project, version: DatasetVersion) -> dict:
    return views_runs.card_context(
        version,
        poll_url=reverse("governance:version_progress", args=[project.pk, version.pk]),
        card_id="version-status",
        title=f"Version {version.name}",
        details="governance/version.html#version-details",
    )


@login_required
@require_http_methods(["GET", "POST"])
def versions(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    if request.method == "POST":
        tags = [t for t in request.POST.get("tags", "").split(",") if t.strip()]
        try:
            version = services.create_version(
                project=project,
                name=request.POST.get("name", ""),
                tags=tags,
                notes=request.POST.get("notes", ""),
                by=request.user,
            )
        except (InvalidInput, ConflictError) as exc:
            messages.error(request, str(exc))
            return redirect("governance:versions", project_id=project.pk)
        return redirect("governance:version", project_id=project.pk, version_id=version.pk)
    context = {
        "project": project,
        "versions": DatasetVersion.objects.filter(project=project).select_related("created_by"),
    }
    return TemplateResponse(request, "governance/versions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def version(request: HttpRequest, project_id: int, version_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    v = access.get_version_for_user(request.user, project, version_id)
    if request.method == "POST":
        tags = [t for t in request.POST.get("tags", "").split(",") if t.strip()]
        try:
            services.update_version(
                version=v, tags=tags, notes=request.POST.get("notes", ""), by=request.user
            )
        except InvalidInput as exc:
            messages.error(request, str(exc))
        return redirect("governance:version", project_id=project.pk, version_id=v.pk)
    others = DatasetVersion.objects.filter(
        project=project, status=DatasetVersion.Status.DONE
    ).exclude(pk=v.pk)
    context = {"project": project, "version": v, "others": others} | _card(project, v)
    return TemplateResponse(request, "governance/version.html", context)


@login_required
@require_GET
def version_progress(request: HttpRequest, project_id: int, version_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    v = access.get_version_for_user(request.user, project, version_id)
    page_url = reverse("governance:version", args=[project.pk, v.pk])
    if not request.htmx:
        return redirect(page_url)
    context = {"project": project, "version": v} | _card(project, v)
    return views_runs.run_progress(request, context, page_url=page_url)


@login_required
@require_GET
def diff(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    old = access.get_version_for_user(request.user, project, request.GET.get("old"))
    new = access.get_version_for_user(request.user, project, request.GET.get("new"))
    context: dict = {"project": project, "old": old, "new": new, "error": ""}
    try:
        context["diff"] = services.diff_versions(old=old, new=new).as_dict(
            limit=services.DIFF_ID_LIMIT
        )
    except (InvalidInput, ConflictError) as exc:
        context["error"] = str(exc)
    context["limit"] = services.DIFF_ID_LIMIT
    return TemplateResponse(request, "governance/diff.html", context)


def _export(request: HttpRequest, project_id: int, version_id: int):
    project = access.get_project_for_versions(request.user, project_id)
    v = access.get_version_for_user(request.user, project, version_id)
    return project, v, services.export_version(version=v, by=request.user)


@login_required
@require_GET
def export(request: HttpRequest, project_id: int, version_id: int) -> HttpResponse:
    try:
        project, v, out = _export(request, project_id, version_id)
    except (InvalidInput, ConflictError) as exc:
        messages.error(request, str(exc))
        return redirect("governance:version", project_id=project_id, version_id=version_id)
    response = HttpResponse(out.content, content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="{out.filename}"'
    response["X-Content-SHA256"] = out.sha256
    return response


@login_required
@require_GET
def export_checksum(request: HttpRequest, project_id: int, version_id: int) -> HttpResponse:
    try:
        _project, _v, out = _export(request, project_id, version_id)
    except (InvalidInput, ConflictError) as exc:
        messages.error(request, str(exc))
        return redirect("governance:version", project_id=project_id, version_id=version_id)
    response = HttpResponse(out.checksum_file, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{out.filename}.sha256"'
    return response
