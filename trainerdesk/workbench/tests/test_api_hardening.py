"""API and page hardening (issue 8, section 6, the smaller items): 401 before CSRF, a JSON
400 for an unreadable multipart body, strict request bodies, no cross-site images in
Markdown, and no caching of signed-in responses."""

import logging

import orjson
import pytest
from django.test import Client

from trainerdesk.lib.markup import render_markdown
from trainerdesk.workbench import services

API = "/api/v1"


def _send(client, method, url, body):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return getattr(client, method)(url, raw, content_type="application/json")


# --- 401, not "CSRF check Failed" ------------------------------------------------------------


def test_a_post_without_credentials_is_a_401_like_a_get(project):
    anonymous = Client(enforce_csrf_checks=True)
    url = f"{API}/projects/{project.pk}/annotations"
    posted = _send(anonymous, "post", url, {"item": 1})
    assert posted.status_code == 401
    assert posted.json()["message"].startswith("Authentication required")
    assert anonymous.get(url).status_code == 401


def test_a_session_post_still_needs_the_csrf_token(project, teammate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(teammate)
    response = _send(client, "post", f"{API}/projects/{project.pk}/annotations", {"item": 1})
    assert response.status_code == 403 and "CSRF" in response.json()["message"]


# --- multipart without a boundary ------------------------------------------------------------


def test_multipart_without_boundary_is_a_json_400_without_traceback(
    project, owner, client_for, caplog
):
    caplog.set_level(logging.INFO)
    response = client_for(owner).post(
        f"{API}/projects/{project.pk}/imports", b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "boundary" in response.json()["message"]
    assert not [r for r in caplog.records if r.exc_info]


# --- strict request bodies -------------------------------------------------------------------


def test_a_json_array_is_not_an_object(project, owner, client_for):
    response = _send(client_for(owner), "patch", f"{API}/projects/{project.pk}", b"[null,null]")
    assert response.status_code == 422
    assert "must be a JSON object, not an array" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/items/{i}/gold", {"is_gold": 0}, "is_gold"),
        ("/items/{i}/predictions", {"answer": {"topic": "sport"}, "score": False}, "score"),
        ("", {"overlap": "2"}, "overlap"),
        ("", {"blind_order": "false"}, "blind_order"),
    ],
)
def test_loose_values_are_refused(project, owner, client_for, path, body, field):
    item = project.items.first()
    method = {"/items/{i}/gold": "put", "": "patch"}.get(path, "post")
    url = f"{API}/projects/{project.pk}" + path.format(i=item.pk)
    response = _send(client_for(owner), method, url, body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0].startswith(f"payload.{field}:")
    item.refresh_from_db()
    project.refresh_from_db()
    assert not item.is_gold and project.overlap == 1 and project.blind_order


def test_strings_still_read_as_uuid_and_datetime(project, owner, teammate, client_for):
    leased = services.next_item(project=project, user=teammate)
    body = {"item": leased.pk, "answer": {"topic": "sport"}, "lead_time": 3,
            "client_id": "2f1c4d3e-1111-4222-8333-444455556666"}  # fmt: skip
    assert _send(client_for(teammate), "post", f"{API}/projects/{project.pk}/annotations", body)
    snap = {"since": "2020-01-01T00:00:00Z"}
    response = _send(client_for(owner), "post", f"{API}/projects/{project.pk}/gold/snapshots", snap)
    assert response.status_code == 201


# --- Markdown images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "![x](https://tracker.example/p.png)",
        '<img src="http://tracker.example/p.png">',
        '<img src="//tracker.example/p.png">',
        '<img src="/\\tracker.example/p.png">',
        '<img src="&#47;&#47;tracker.example/p.png">',
        '<img src="/\t/tracker.example/p.png">',
        '<img src="data:image/png;base64,AAAA">',
    ],
)
def test_markdown_drops_images_from_other_sites(text):
    html = render_markdown(text)
    assert "tracker.example" not in html and "data:" not in html


def test_markdown_keeps_images_from_the_app_and_links_anywhere():
    html = render_markdown("![chart](/media/c.png) [docs](https://docs.example/x)")
    assert 'src="/media/c.png"' in html and 'href="https://docs.example/x"' in html


def test_a_comment_with_a_tracking_pixel_shows_no_remote_image(project, owner, client_for):
    item = project.items.first()
    services.post_comment(
        project=project, item=item, author=owner, body="see ![](https://tracker.example/p.gif)"
    )
    response = client_for(owner).get(f"{API}/projects/{project.pk}/items/{item.pk}/comments")
    assert "tracker.example/p.gif" not in response.json()[0]["html"]


# --- caching ---------------------------------------------------------------------------------


def test_signed_in_pages_and_api_answers_are_not_cached(project, owner, client_for):
    client = client_for(owner)
    for url in ("/", f"/projects/{project.pk}/", f"{API}/projects/{project.pk}"):
        response = client.get(url)
        assert response.status_code == 200, url
        cache = response["Cache-Control"]
        assert "private" in cache and "no-store" in cache, url


def test_static_files_stay_cacheable(client_for, owner):
    client = client_for(owner)
    static = client.get("/static/trainerdesk/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
