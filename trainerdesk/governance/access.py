"""Who may see dataset versions: a project's owners and managers (the workbench's
"manage" action; owners and organization admins act as managers). Everyone else gets
404, never 403, so a version's existence does not leak (workbench/access.py decides the
role; these getters only check the version belongs to that project)."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.governance.models import BiasAudit, DataGap, DatasetVersion, DocumentVersion
from trainerdesk.workbench import access
from trainerdesk.workbench.access import key_or_404
from trainerdesk.workbench.models import Project

ACTION = "manage"


def get_project_for_versions(user, project_id) -> Project:
    """The project if the user manages it (stale builds failed first), else 404."""
    return access.get_project_with_runs(user, project_id, action=ACTION)


def get_version_for_user(user, project: Project, version_id) -> DatasetVersion:
    """A version of a project get_project_for_versions already let the user into."""
    try:
        return DatasetVersion.objects.select_related("created_by", "project").get(
            pk=key_or_404(version_id), project=project
        )
    except DatasetVersion.DoesNotExist:
        raise Http404("No such dataset version") from None


def get_bias_audit_for_user(user, project: Project, audit_id) -> BiasAudit:
    """A bias audit of a project get_project_for_versions already let the user into."""
    try:
        return BiasAudit.objects.select_related("computed_by", "dataset_version").get(
            pk=key_or_404(audit_id), project=project
        )
    except BiasAudit.DoesNotExist:
        raise Http404("No such bias audit") from None


def get_model_version_for_user(user, project: Project, model_version_id):
    """A model version (evaluation) of a project get_project_for_versions already let the
    user into; 404 for another project's."""
    from trainerdesk.evaluation.models import ModelVersion

    try:
        return ModelVersion.objects.get(pk=key_or_404(model_version_id), project=project)
    except ModelVersion.DoesNotExist:
        raise Http404("No such model version") from None


def _one_of(model, project: Project, pk, what: str):
    try:
        return model.objects.get(pk=key_or_404(pk), project=project)
    except model.DoesNotExist:
        raise Http404(f"No such {what}") from None


def get_document_for_user(user, project: Project, document_id):
    """A document version of a project get_project_for_versions already let the user into."""
    return _one_of(DocumentVersion, project, document_id, "document")


def get_data_gap_for_user(user, project: Project, gap_id):
    return _one_of(DataGap, project, gap_id, "data gap")
