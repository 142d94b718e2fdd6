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

from trainerdesk.governance import access, services, views_bias, views_lineage
from trainerdesk.governance.models import BiasAudit, DatasetVersion
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
    context |= views_lineage.version_context(v)
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


def _audit_form_context(project) -> dict:
    fields = [f for f in project.schema.fields if f.type == "choice" and not f.multiple]
    return {
        "label_fields": [{"name": f.name, "labels": f.label_values} for f in fields],
        "built_versions": DatasetVersion.objects.filter(
            project=project, status=DatasetVersion.Status.DONE
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def bias_audits(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's bias audits, newest first, and the form that runs one."""
    project = access.get_project_for_versions(request.user, project_id)
    if request.method == "POST":
        version = None
        if request.POST.get("dataset_version"):
            version = access.get_version_for_user(
                request.user, project, request.POST["dataset_version"]
            )
        return views_bias.run_and_show(
            request,
            project,
            services.run_label_parity_audit,
            attribute=request.POST.get("attribute", ""),
            second_attribute=request.POST.get("second_attribute") or None,
            privileged=request.POST.get("privileged") or None,
            field=request.POST.get("field") or None,
            positive=request.POST.get("positive") or None,
            dataset_version=version,
        )
    context = {
        "project": project,
        "audits": BiasAudit.objects.filter(project=project).select_related("computed_by")[:200],
    } | _audit_form_context(project)
    context |= views_bias.form_context(project)
    return TemplateResponse(request, "governance/bias_audits.html", context)


@login_required
@require_GET
def bias_audit(request: HttpRequest, project_id: int, audit_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    a = access.get_bias_audit_for_user(request.user, project, audit_id)
    if a.kind != BiasAudit.Kind.LABEL_PARITY:
        return views_bias.detail(request, project, a)
    parity, table = a.parity, a.representation
    comparisons = {c["group"]: c for c in parity.get("comparisons", [])}
    groups = [g | {"comparison": comparisons.get(g["group"])} for g in parity.get("groups", [])]
    cells = {(c["split"], c["group"]): c for c in table.get("cells", [])}
    rep_rows = [
        {
            "split": s,
            "total": table["split_totals"][s],
            "cells": [cells[s, g] for g in table["groups"]],
        }
        for s in table.get("splits", [])
    ]
    context = {
        "project": project,
        "audit": a,
        "parity": parity,
        "groups": groups,
        "rep_groups": table.get("groups", []),
        "rep_rows": rep_rows,
        "rep_warnings": table.get("warnings", []),
        "four_fifths": 0.8,
    }
    return TemplateResponse(request, "governance/bias_audit.html", context)
