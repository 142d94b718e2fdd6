"""The version page's "Used by" section: the runs linked to a version (services/lineage.py
says how links are matched) and a form to record one by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from trainerdesk.governance import access
from trainerdesk.governance.models import DatasetVersion, UsedVersion
from trainerdesk.governance.services import lineage
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.request_types import AuthenticatedRequest


def version_context(version: DatasetVersion) -> dict:
    return {"lineage": lineage.links_of(version), "run_types": UsedVersion.RunType.choices}


@login_required
@require_POST
def record(request: AuthenticatedRequest, project_id: int, version_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    v = access.get_version_for_user(request.user, project, version_id)
    try:
        lineage.record_used_version(
            version=v,
            run_type=request.POST.get("run_type", ""),
            run_id=request.POST.get("run_id", ""),
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except InvalidInput as exc:
        messages.error(request, str(exc))
    return redirect("governance:version", project_id=project.pk, version_id=v.pk)
