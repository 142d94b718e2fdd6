"""Documents in a real browser (headless Debian chromium via Playwright): the owner creates
dataset version v2 on the versions page after a reviewer's fix, diffs it against v1, opens
the documents page, generates the model card of m1 and downloads its PDF, whose text holds
the run's accuracy and the card's content hash.

The labelled data, version v1, the predictions and the evaluation run are made through
the services (the `evaluated` fixture): the walk clicks only what the issue asks."""

import io

import pytest

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_version_diff_model_card_pdf(browser_page, live_server, evaluated, owner, tmp_path):
    from pypdf import PdfReader

    from trainerdesk.governance.models import DatasetVersion, DocumentVersion
    from trainerdesk.quality.services import record_review

    page, errors = browser_page
    # A reviewer's fix relabels item 3 (tech -> sport) after v1 was built.
    annotation = evaluated.doc_items[2].annotations.get()
    record_review(project=evaluated, annotation=annotation, reviewer=owner, decision="fixed",
                  fixed_answer={"topic": "sport"})  # fmt: skip

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out owner")

    page.goto(f"{live_server.url}/projects/{evaluated.pk}/versions/")
    page.fill("#create-version input[name=name]", "v2")
    page.click("#create-version button[type=submit]")
    page.wait_for_selector("h1:has-text('Version v2')")
    v2 = DatasetVersion.objects.get(project=evaluated, name="v2")
    page.wait_for_selector(f"text={v2.version_id}")

    page.goto(f"{live_server.url}/projects/{evaluated.pk}/versions/")
    page.check("input[aria-label='old: v1']")
    page.check("input[aria-label='new: v2']")
    page.click("#diff-form button[type=submit]")
    page.wait_for_selector("h1:has-text('v1 → v2')")
    stats = page.locator(".grid.card").inner_text()
    assert "1\nrelabelled" in stats, stats

    page.goto(f"{live_server.url}/projects/{evaluated.pk}/models/")
    page.click("#model-card-link")
    page.wait_for_selector("h1:has-text('Documents')")
    page.select_option("select[name=subject] >> nth=1", str(evaluated.m1.pk))
    page.click("text=Generate model card")
    page.wait_for_selector("h1:has-text('Model card')")
    doc = DocumentVersion.objects.get(kind="model_card")
    assert doc.content_sha256 in page.inner_text("#content-sha256")
    assert "written by a person" in page.inner_text("article.document")

    with page.expect_download() as info:
        page.click("#download-pdf")
    path = tmp_path / "card.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data == bytes(doc.pdf)
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "0.800(95%interval" in text and doc.content_sha256 in text
    assert not errors, errors
