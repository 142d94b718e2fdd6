"""Document pages: the project's documents (generate, list), one version (HTML, PDF,
approve, new version with edited person-written texts) and the data-gaps register.
Owners and managers only (governance/access.py: 404 for the rest)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.evaluation.models import ModelVersion
from trainerdesk.governance import access
from trainerdesk.governance.models import DataGap, DatasetVersion, DocumentVersion
from trainerdesk.governance.services import documents
from trainerdesk.lib.errors import ConflictError, InvalidInput


def _subject_ids(request: HttpRequest) -> list[int] | None:
    try:
        return [int(s) for s in request.POST.getlist("subject") if s.strip()]
    except ValueError:
        return None


def _texts(request: HttpRequest, kind: str) -> dict[str, str] | None:
    """The form's text_<field> values; None when the form had none (keep the newest's)."""
    if kind not in documents.BUILDERS:
        return None
    names = [k for k in documents.person_fields(kind) if f"text_{k}" in request.POST]
    return {k: request.POST[f"text_{k}"] for k in names} if names else None


@login_required
@require_http_methods(["GET", "POST"])
def documents_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        ids = _subject_ids(request)
        try:
            if ids is None:
                raise InvalidInput(["subject_ids: must be ids"])
            out = documents.generate_document(
                project=project, kind=kind, subject_ids=ids, texts=_texts(request, kind),
                by=request.user,
            )  # fmt: skip
        except (InvalidInput, ConflictError) as exc:
            messages.error(request, str(exc))
            return redirect("governance:documents", project_id=project.pk)
        if not out.created:
            messages.info(request, f"Nothing changed since version {out.document.number}.")
        return redirect("governance:document", project_id=project.pk, document_id=out.document.pk)
    context = {
        "project": project,
        "documents": DocumentVersion.objects.filter(project=project)
        .select_related("created_by", "approved_by")
        .defer("pdf", "content")[:200],
        "dataset_versions": DatasetVersion.objects.filter(
            project=project, status=DatasetVersion.Status.DONE
        ),
        "model_versions": ModelVersion.objects.filter(project=project).select_related("model"),
        "selected_version": request.GET.get("dataset_version", ""),
        "selected_model": request.GET.get("model_version", ""),
    }
    return TemplateResponse(request, "governance/documents.html", context)


@login_required
@require_GET
def document(request: HttpRequest, project_id: int, document_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    doc = access.get_document_for_user(request.user, project, document_id)
    fields = [
        {"key": k, "label": label, "text": doc.texts.get(k, "")}
        for k, label in documents.person_fields(doc.kind).items()
    ]
    newer = documents.latest_version(project, doc.subject_key)
    context = {
        "project": project,
        "document": doc,
        "fields": fields,
        "newer": newer if newer and newer.number > doc.number else None,
    }
    return TemplateResponse(request, "governance/document.html", context)


@login_required
@require_GET
def document_pdf(request: HttpRequest, project_id: int, document_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    doc = access.get_document_for_user(request.user, project, document_id)
    return pdf_response(doc)


def pdf_response(doc: DocumentVersion) -> HttpResponse:
    response = HttpResponse(bytes(doc.pdf or b""), content_type="application/pdf")
    name = f"project-{doc.project_id}-{doc.kind}-{doc.pk}-v{doc.number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-SHA256"] = doc.pdf_sha256
    return response


@login_required
@require_POST
def document_approve(request: HttpRequest, project_id: int, document_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    doc = access.get_document_for_user(request.user, project, document_id)
    try:
        documents.approve_document(document=doc, by=request.user)
    except ConflictError as exc:
        messages.error(request, str(exc))
    return redirect("governance:document", project_id=project.pk, document_id=doc.pk)


@login_required
@require_http_methods(["GET", "POST"])
def data_gaps(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                gap = access.get_data_gap_for_user(request.user, project, request.POST.get("gap"))
                documents.close_data_gap(
                    gap=gap, resolution=request.POST.get("resolution", ""), by=request.user
                )
            else:
                documents.create_data_gap(
                    project=project,
                    title=request.POST.get("title", ""),
                    description=request.POST.get("description", ""),
                    by=request.user,
                )
        except (InvalidInput, ConflictError) as exc:
            messages.error(request, str(exc))
        return redirect("governance:data_gaps", project_id=project.pk)
    context = {"project": project, "gaps": DataGap.objects.filter(project=project)}
    return TemplateResponse(request, "governance/data_gaps.html", context)


P = "projects/<int:project_id>"
urlpatterns = [
    path(f"{P}/documents/", documents_page, name="documents"),
    path(f"{P}/documents/<int:document_id>/", document, name="document"),
    path(f"{P}/documents/<int:document_id>/pdf/", document_pdf, name="document_pdf"),
    path(f"{P}/documents/<int:document_id>/approve/", document_approve, name="document_approve"),
    path(f"{P}/data-gaps/", data_gaps, name="data_gaps"),
]
