"""Pages by persona: owner sees and uses them; an annotator and an outsider get 404."""

import hashlib

import pytest
from django.urls import reverse

from trainerdesk.governance.models import DatasetVersion


@pytest.fixture
def built(labelled, owner, django_capture_on_commit_callbacks):
    from trainerdesk.governance import services

    with django_capture_on_commit_callbacks(execute=True):
        v = services.create_version(project=labelled, name="v1", by=owner)
    v.refresh_from_db()
    return v


def test_owner_creates_a_version_from_the_page(
    labelled, owner, client_for, django_capture_on_commit_callbacks
):
    c = client_for(owner)
    page = c.get(reverse("governance:versions", args=[labelled.pk]))
    assert page.status_code == 200 and b"Create a version" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            reverse("governance:versions", args=[labelled.pk]), {"name": "v1", "tags": "a,b"}
        )
    v = DatasetVersion.objects.get(project=labelled, name="v1")
    assert r.status_code == 302 and r["Location"].endswith(f"/versions/{v.pk}/")
    detail = c.get(r["Location"])
    assert v.version_id.encode() in detail.content
    # The progress card answers htmx polls.
    poll = c.get(
        reverse("governance:version_progress", args=[labelled.pk, v.pk]), HTTP_HX_REQUEST="true"
    )
    assert poll.status_code == 200


def test_nav_link_for_managers_only(labelled, owner, teammate, client_for):
    url = reverse("workbench:project_detail", args=[labelled.pk])
    assert b"/versions/" in client_for(owner).get(url).content
    assert b"/versions/" not in client_for(teammate).get(url).content


def test_diff_page_links_items(labelled, owner, teammate, built, client_for,
                               django_capture_on_commit_callbacks):  # fmt: skip
    from trainerdesk.governance import services
    from trainerdesk.workbench import services as wb

    item = list(labelled.items.order_by("id"))[2]
    wb.submit_annotation(project=labelled, item=item, user=teammate, answer={"topic": "tech"})
    with django_capture_on_commit_callbacks(execute=True):
        v2 = services.create_version(project=labelled, name="v2", by=owner)
    r = client_for(owner).get(
        reverse("governance:diff", args=[labelled.pk]), {"old": built.pk, "new": v2.pk}
    )
    assert r.status_code == 200
    assert reverse("workbench:item_detail", args=[labelled.pk, item.pk]).encode() in r.content


def test_export_download_twice_identical(labelled, owner, built, client_for):
    c = client_for(owner)
    url = reverse("governance:export", args=[labelled.pk, built.pk])
    a, b = c.get(url), c.get(url)
    assert a.status_code == 200 and a.content == b.content
    check = c.get(reverse("governance:export_checksum", args=[labelled.pk, built.pk]))
    digest, name = check.content.decode().rstrip("\n").split("  ")
    assert digest == hashlib.sha256(a.content).hexdigest()
    assert name in a["Content-Disposition"]


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_others_get_404(request, persona, labelled, built, client_for):
    c = client_for(request.getfixturevalue(persona))
    p = labelled.pk
    for url in (
        reverse("governance:versions", args=[p]),
        reverse("governance:version", args=[p, built.pk]),
        reverse("governance:export", args=[p, built.pk]),
        reverse("governance:export_checksum", args=[p, built.pk]),
        reverse("governance:diff", args=[p]) + f"?old={built.pk}&new={built.pk}",
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("governance:versions", args=[p]), {"name": "x"}).status_code == 404
    assert not DatasetVersion.objects.filter(name="x").exists()


def test_a_version_of_another_project_is_404(labelled, owner, org, built, client_for):
    from trainerdesk.workbench import services as wb

    other = wb.create_project(
        organization=org, created_by=owner, name="Other", label_schema=labelled.label_schema
    )
    r = client_for(owner).get(reverse("governance:version", args=[other.pk, built.pk]))
    assert r.status_code == 404
