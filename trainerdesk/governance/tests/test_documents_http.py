"""Document pages and API by persona: owners generate, read, approve and download; an
annotator and an outsider get 404 everywhere; bad input answers a message, stores nothing."""

import pytest
from django.urls import reverse

from trainerdesk.governance.models import DataGap, DocumentVersion
from trainerdesk.lib.pdf import sha256_hex

API = "/api/v1/projects/{}/documents"


def page_of(doc):
    return reverse("governance:document", args=[doc.project_id, doc.pk])


def test_owner_generates_reads_approves_and_downloads_on_the_pages(evaluated, owner, client_for):
    c = client_for(owner)
    p = evaluated.pk
    page = c.get(reverse("governance:documents", args=[p]))
    assert page.status_code == 200 and b"Generate model card" in page.content
    r = c.post(
        reverse("governance:documents", args=[p]),
        {"kind": "model_card", "subject": str(evaluated.m1.pk)},
    )
    doc = DocumentVersion.objects.get(kind="model_card")
    assert r.status_code == 302 and r["Location"] == page_of(doc)
    detail = c.get(r["Location"])
    assert f"<title>{doc.title} · ".encode() in detail.content
    assert detail.content.count(b'id="person-fields"') == 1
    assert doc.content_sha256.encode() in detail.content
    assert b"written by a person" in detail.content and b"0.800 (95% interval" in detail.content
    pdf = c.get(reverse("governance:document_pdf", args=[p, doc.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert sha256_hex(pdf.content) == pdf["X-Content-SHA256"] == doc.pdf_sha256
    # Editing a person-written field makes version 2; version 1 stays.
    r = c.post(
        reverse("governance:documents", args=[p]),
        {"kind": "model_card", "subject": str(evaluated.m1.pk), "text_intended_use": "Routing."},
    )
    v2 = DocumentVersion.objects.get(kind="model_card", number=2)
    assert v2.texts == {"intended_use": "Routing."}
    assert b"A newer version exists" in c.get(page_of(doc)).content
    c.post(reverse("governance:document_approve", args=[p, v2.pk]))
    v2.refresh_from_db()
    assert v2.approved_by == owner
    assert b"Approve (sign off)" not in c.get(page_of(v2)).content


def test_pages_show_the_error_and_store_nothing(evaluated, owner, client_for):
    c = client_for(owner)
    r = c.post(
        reverse("governance:documents", args=[evaluated.pk]),
        {"kind": "model_card", "subject": str(evaluated.m2.pk)},
        follow=True,
    )
    assert b"has no finished evaluation run" in r.content
    assert not DocumentVersion.objects.exists()


def test_links_from_the_version_and_model_pages(evaluated, owner, client_for):
    c = client_for(owner)
    v = evaluated.doc_version
    page = c.get(reverse("governance:version", args=[evaluated.pk, v.pk]))
    assert f"documents/?dataset_version={v.pk}".encode() in page.content
    models = c.get(reverse("evaluation:models", args=[evaluated.pk]))
    assert reverse("governance:documents", args=[evaluated.pk]).encode() in models.content


def test_data_gaps_page(documented, owner, client_for):
    c = client_for(owner)
    url = reverse("governance:data_gaps", args=[documented.pk])
    assert b"Few tech items" in c.get(url).content
    c.post(url, {"action": "create", "title": "No Welsh sources", "description": "none"})
    gap = DataGap.objects.get(title="No Welsh sources")
    c.post(url, {"action": "close", "gap": gap.pk, "resolution": "Added 40 items."})
    gap.refresh_from_db()
    assert gap.status == "closed" and gap.resolution == "Added 40 items."


def test_api_generate_list_get_approve_pdf(evaluated, owner, client_for):
    c = client_for(owner)
    url = API.format(evaluated.pk)
    body = {"kind": "datasheet", "subject_ids": [evaluated.doc_version.pk]}
    r = c.post(url, body, "application/json")
    assert r.status_code == 201, r.content
    doc = r.json()["document"]
    assert r.json()["created"] and len(doc["content_sha256"]) == 64
    again = c.post(url, body, "application/json")
    assert again.status_code == 200 and again.json()["document"]["id"] == doc["id"]
    assert [d["id"] for d in c.get(url).json()] == [doc["id"]]
    got = c.get(f"{url}/{doc['id']}").json()
    assert got["content"]["kind"] == "datasheet" and got["inputs"] == doc["inputs"]
    approved = c.post(f"{url}/{doc['id']}/approve").json()
    assert approved["approved_by"] == "owner"
    assert c.post(f"{url}/{doc['id']}/approve").status_code == 409
    pdf = c.get(f"{url}/{doc['id']}/pdf")
    assert pdf.content.startswith(b"%PDF") and pdf["X-Content-SHA256"] == approved["pdf_sha256"]


def test_api_bad_input_messages(evaluated, owner, org, client_for):
    from trainerdesk.workbench import services as wb

    c = client_for(owner)
    url = API.format(evaluated.pk)
    r = c.post(url, {"kind": "model_card", "subject_ids": [evaluated.m2.pk]}, "application/json")
    assert r.status_code == 400 and "has no finished evaluation run" in r.content.decode()
    other = wb.create_project(
        organization=org, created_by=owner, name="Other", label_schema=evaluated.label_schema
    )
    r = c.post(
        API.format(other.pk),
        {"kind": "datasheet", "subject_ids": [evaluated.doc_version.pk]},
        "application/json",
    )
    assert r.status_code == 400 and "belongs to another project" in r.content.decode()
    r = c.post(
        url,
        {"kind": "datasheet", "subject_ids": [evaluated.doc_version.pk], "texts": {"x": "y"}},
        "application/json",
    )
    assert r.status_code == 400 and "texts.x" in r.content.decode()
    assert not DocumentVersion.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_others_get_404(request, persona, documented, owner, client_for):
    from trainerdesk.governance import services

    doc = services.generate_document(
        project=documented, kind="datasheet", subject_ids=[documented.doc_version.pk], by=owner
    ).document
    gap = documented.data_gaps.get()
    c = client_for(request.getfixturevalue(persona))
    p = documented.pk
    for url in (
        reverse("governance:documents", args=[p]),
        reverse("governance:document", args=[p, doc.pk]),
        reverse("governance:document_pdf", args=[p, doc.pk]),
        reverse("governance:data_gaps", args=[p]),
        API.format(p),
        f"{API.format(p)}/{doc.pk}",
        f"{API.format(p)}/{doc.pk}/pdf",
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("governance:document_approve", args=[p, doc.pk])).status_code == 404
    assert c.post(f"{API.format(p)}/{doc.pk}/approve").status_code == 404
    body = {"kind": "datasheet", "subject_ids": [documented.doc_version.pk], "texts": {}}
    assert c.post(API.format(p), body, "application/json").status_code == 404
    assert (
        c.post(
            reverse("governance:data_gaps", args=[p]),
            {"action": "close", "gap": gap.pk, "resolution": "x"},
        ).status_code
        == 404
    )
    doc.refresh_from_db()
    gap.refresh_from_db()
    assert DocumentVersion.objects.count() == 1 and not doc.approved and gap.status == "open"


def test_nav_link_for_managers_only(documented, owner, teammate, client_for):
    url = reverse("workbench:project_detail", args=[documented.pk])
    docs = reverse("governance:documents", args=[documented.pk]).encode()
    assert docs in client_for(owner).get(url).content
    assert docs not in client_for(teammate).get(url).content


def test_api_data_gaps_register(documented, owner, teammate, client_for):
    api = f"/api/v1/projects/{documented.pk}/data-gaps"
    client = client_for(owner)
    before = DataGap.objects.count()  # the fixture's own entry

    r = client.post(api, {"title": " "}, "application/json")
    assert r.status_code == 400 and "title" in r.json()["message"]
    r = client.post(api, {"title": "No rural speakers"}, "application/json")
    assert r.status_code == 201, r.content
    gap = r.json()
    assert (gap["status"], gap["created_by"]) == ("open", owner.get_username())

    close = f"{api}/{gap['id']}/close"
    assert client.post(close, {"resolution": ""}, "application/json").status_code == 400
    r = client.post(close, {"resolution": "Recorded 200 more"}, "application/json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert client.post(close, {"resolution": "again"}, "application/json").status_code == 409
    assert "No rural speakers" in [g["title"] for g in client.get(api).json()]

    # Annotators see nothing of the register, and cannot write to it.
    other = client_for(teammate)
    assert other.get(api).status_code == 404
    assert other.post(api, {"title": "x"}, "application/json").status_code == 404
    assert DataGap.objects.count() == before + 1
