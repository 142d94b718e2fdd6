"""Governance documents: generate a version from the database (datasheet, model card,
Annex IV draft), approve it (signed off, immutable from then on), and the data-gaps register.

A generation gathers the facts (doc_facts), builds the content with the kind's pure
builder, hashes it, renders the PDF and stores all of it with one audit event. When the
subject's newest version already has that content hash, nothing is stored and that
version is returned: the same inputs give the same document, never a second copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from trainerdesk.governance import doc_annex_iv, doc_datasheet, doc_model_card
from trainerdesk.governance.doc_content import clean_texts, content_sha256
from trainerdesk.governance.models import DataGap, DatasetVersion, DocumentVersion
from trainerdesk.governance.services import doc_facts
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.pdf import render_pdf, sha256_hex
from trainerdesk.workbench.models import Project

Kind = DocumentVersion.Kind
MAX_TEXT = 20_000
# Model versions in one Annex IV system (their ids make the subject key, 200 characters).
MAX_SYSTEM_VERSIONS = 20

# kind -> (its person-written fields, its builder)
BUILDERS: dict[str, tuple[dict[str, str], Any]] = {
    Kind.DATASHEET: (doc_datasheet.FIELDS, doc_datasheet.build_datasheet),
    Kind.MODEL_CARD: (doc_model_card.FIELDS, doc_model_card.build_model_card),
    Kind.ANNEX_IV: (doc_annex_iv.FIELDS, doc_annex_iv.build_annex_iv),
}


def person_fields(kind: str) -> dict[str, str]:
    return BUILDERS[kind][0]


def subject_key(kind: str, ids: list[int]) -> str:
    return f"{kind}:{','.join(str(i) for i in sorted(set(ids)))}"


def _check(kind: str, subject_ids: Any, texts: Any) -> tuple[list[int], dict[str, str] | None]:
    errors = []
    if kind not in BUILDERS:
        raise InvalidInput([f"kind: must be one of {', '.join(BUILDERS)}"])
    if not isinstance(subject_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in subject_ids
    ):
        errors.append("subject_ids: must be a list of positive ids")
    elif not subject_ids:
        errors.append("subject_ids: name what the document is about")
    elif kind != Kind.ANNEX_IV and len(subject_ids) != 1:
        errors.append(f"subject_ids: a {kind} documents exactly one subject")
    elif len(set(subject_ids)) > MAX_SYSTEM_VERSIONS:
        errors.append(f"subject_ids: a system has at most {MAX_SYSTEM_VERSIONS} model versions")
    if texts is not None:
        if not isinstance(texts, dict):
            errors.append("texts: must be an object of field name to text")
        else:
            fields = person_fields(kind)
            errors += [f"texts.{k}: not a field of a {kind}" for k in sorted(texts, key=str)
                       if k not in fields]  # fmt: skip
            errors += [f"texts.{k}: at most {MAX_TEXT} characters" for k, t in texts.items()
                       if isinstance(t, str) and len(t) > MAX_TEXT]  # fmt: skip
            errors += [f"texts.{k}: must be text" for k, t in texts.items()
                       if t is not None and not isinstance(t, str)]  # fmt: skip
    if errors:
        raise InvalidInput(errors)
    return sorted(set(subject_ids)), texts


def latest_version(project: Project, key: str) -> DocumentVersion | None:
    return (
        DocumentVersion.objects.filter(project=project, subject_key=key).order_by("-number").first()
    )


def build_content(*, project: Project, kind: str, subject_ids: list[int], texts: dict) -> dict:
    """The content for these subjects and texts, read from the database (writes nothing)."""
    if kind == Kind.DATASHEET:
        version = (
            DatasetVersion.objects.select_related("created_by").filter(pk=subject_ids[0]).first()
        )
        if version is None:
            raise InvalidInput([f"subject_ids: there is no dataset version #{subject_ids[0]}"])
        facts = doc_facts.datasheet_facts(project, version)
    elif kind == Kind.MODEL_CARD:
        (version,) = doc_facts.require_model_versions(project, subject_ids)
        facts = doc_facts.model_card_facts(project, version)
    else:
        facts = doc_facts.annex_iv_facts(project, subject_ids)
    fields, builder = BUILDERS[kind]
    content = builder(facts, texts)
    if texts:
        content["inputs"] = sorted(
            [*content["inputs"], {"type": "person_texts", "id": kind,
             "sha256": content_sha256(texts), "label": f"{len(texts)} fields"}],
            key=lambda i: (str(i.get("type")), str(i.get("id"))),
        )  # fmt: skip
    return content


def render_html(document: DocumentVersion | None, content: dict) -> str:
    return render_to_string(
        "governance/pdf/document.html",
        {"doc": content, "sha256": content_sha256(content), "document": document},
    )


def render_document_pdf(document: DocumentVersion) -> bytes:
    """The PDF of a stored version: its content and, once approved, the sign-off; nothing
    else (no generation time), so the same content and sign-off give the same bytes."""
    return render_pdf(render_html(document, document.content), title=document.title)


@dataclass
class Generated:
    document: DocumentVersion
    created: bool  # False: the newest version already had this content


def generate_document(
    *, project: Project, kind: str, subject_ids: list[int], texts: dict | None = None, by
) -> Generated:
    """Build the document from the database; store it as a new version unless the newest
    version of the same subject has the same content. texts None: keep the newest
    version's person-written texts."""
    ids, texts = _check(kind, subject_ids, texts)
    key = subject_key(kind, ids)
    fields = person_fields(kind)
    if texts is None:
        prior = latest_version(project, key)
        texts = prior.texts if prior else {}
    texts = clean_texts(texts, fields)
    content = build_content(project=project, kind=kind, subject_ids=ids, texts=texts)
    sha = content_sha256(content)
    prior = latest_version(project, key)
    if prior is not None and prior.content_sha256 == sha:
        return Generated(prior, False)
    # The PDF is rendered before the transaction: it depends on the content alone, and
    # rendering (~1 s) under the project lock would hold SQLite's write lock that long.
    doc = DocumentVersion(
        project=project,
        kind=kind,
        subject_ids=ids,
        subject_key=key,
        title=content["title"][:300],
        texts=texts,
        inputs=content["inputs"],
        content=content,
        content_sha256=sha,
        created_by=by,
    )
    doc.pdf = render_document_pdf(doc)
    doc.pdf_sha256 = sha256_hex(doc.pdf)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        prior = latest_version(project, key)
        if prior is not None and prior.content_sha256 == sha:
            return Generated(prior, False)
        doc.number = (prior.number + 1) if prior else 1
        doc.save()
        audit.record(
            action="governance.document.generate",
            obj=doc,
            project=project,
            changes={
                "kind": kind,
                "subject_ids": ids,
                "number": doc.number,
                "content_sha256": sha,
                "pdf_sha256": doc.pdf_sha256,
                "inputs": len(doc.inputs),
            },
            by=by,
        )
    return Generated(doc, True)


def _refuse_approved(doc: DocumentVersion) -> None:
    if doc.approved_at is not None:
        raise ConflictError(
            f"document version {doc.pk}: already approved on {doc.approved_at:%Y-%m-%d}"
        )


def approve_document(*, document: DocumentVersion, by) -> DocumentVersion:
    """Sign the version off: who and when go into its PDF (re-rendered once, stored with
    its new sha256) and it never changes again."""
    signed = DocumentVersion.objects.get(pk=document.pk)
    _refuse_approved(signed)
    signed.approved_by, signed.approved_at = by, timezone.now()
    pdf = render_document_pdf(signed)  # outside the lock, as in generate_document
    with transaction.atomic():
        doc = DocumentVersion.objects.select_for_update().get(pk=document.pk)
        _refuse_approved(doc)
        doc.approved_by, doc.approved_at = signed.approved_by, signed.approved_at
        doc.pdf, doc.pdf_sha256 = pdf, sha256_hex(pdf)
        doc.save(update_fields=["approved_by", "approved_at", "pdf", "pdf_sha256"])
        audit.record(
            action="governance.document.approve",
            obj=doc,
            project=doc.project_id,
            changes={"content_sha256": doc.content_sha256, "pdf_sha256": doc.pdf_sha256},
            by=by,
        )
    return doc


# --- the data-gaps register ------------------------------------------------------------------


def create_data_gap(*, project: Project, title: str, description: str = "", by) -> DataGap:
    title = (title or "").strip()
    errors = []
    if not title:
        errors.append("title: required")
    elif len(title) > 200:
        errors.append("title: at most 200 characters")
    if len(description or "") > MAX_TEXT:
        errors.append(f"description: at most {MAX_TEXT} characters")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        gap = DataGap.objects.create(
            project=project, title=title, description=(description or "").strip(), created_by=by
        )
        audit.record(
            action="governance.data_gap.create",
            obj=gap,
            project=project,
            changes={"title": title},
            by=by,
        )
    return gap


def close_data_gap(*, gap: DataGap, resolution: str, by) -> DataGap:
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput(["resolution: say how the gap was addressed"])
    if len(resolution) > MAX_TEXT:
        raise InvalidInput([f"resolution: at most {MAX_TEXT} characters"])
    with transaction.atomic():
        gap = DataGap.objects.select_for_update().get(pk=gap.pk)
        if gap.status == DataGap.Status.CLOSED:
            raise ConflictError(f"data gap {gap.pk}: already closed")
        gap.status, gap.resolution = DataGap.Status.CLOSED, resolution
        gap.closed_at, gap.closed_by = timezone.now(), by
        gap.save(update_fields=["status", "resolution", "closed_at", "closed_by"])
        audit.record(
            action="governance.data_gap.close",
            obj=gap,
            project=gap.project_id,
            changes={"status": gap.status},
            by=by,
        )
    return gap
