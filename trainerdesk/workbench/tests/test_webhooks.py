"""Webhooks: signed delivery to a real local HTTP server, retries with backoff, the
delivery log, the events the services emit, and the manager page and API."""

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from trainerdesk.lib import webhooks
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item, Webhook, WebhookDelivery

API = "/api/v1"
ALL_EVENTS = ["import.finished", "item.commented", "project.completed"]


class Receiver:
    """A local HTTP server that records each request and answers with the next status."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Header names are case-insensitive (urllib sends "X-trainerdesk-event").
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append({"headers": headers, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"boom" if status >= 400 else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _no_waiting(settings):
    settings.WEBHOOK_RETRY_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


def _hook(project, owner, url, events=ALL_EVENTS, **kwargs):
    return services.create_webhook(project=project, by=owner, url=url, events=events, **kwargs)


def _closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_delivery_is_signed_with_the_secret(project, owner, django_capture_on_commit_callbacks):
    with Receiver([200]) as receiver:
        hook = _hook(project, owner, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            delivery = services.send_test_event(webhook=hook, by=owner)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert delivery.response_status == 200 and delivery.delivered_at is not None
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["x-trainerdesk-event"] == "webhook.test"
    assert headers["x-trainerdesk-delivery"] == str(delivery.pk)
    expected = hmac.new(
        hook.secret.encode(),
        headers["x-trainerdesk-timestamp"].encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    assert headers["x-trainerdesk-signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "webhook.test" and payload["project"]["id"] == project.pk


def test_a_500_then_a_200_is_delivered_on_the_second_attempt(
    project, owner, django_capture_on_commit_callbacks
):
    with Receiver([500, 200]) as receiver:
        hook = _hook(project, owner, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            delivery = services.send_test_event(webhook=hook, by=owner)
    delivery.refresh_from_db()
    assert len(receiver.requests) == 2
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert delivery.response_status == 200
    assert "attempt 1" in delivery.error and "HTTP 500" in delivery.error
    ids = {r["headers"]["x-trainerdesk-delivery"] for r in receiver.requests}
    assert ids == {str(delivery.pk)}  # a retry is the same delivery


def test_unreachable_url_fails_after_the_retries_with_the_error_logged(
    project, owner, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    hook = _hook(project, owner, _closed_port_url())
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_test_event(webhook=hook, by=owner)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.response_status is None and delivery.next_attempt_at is None
    lines = delivery.error.splitlines()
    assert len(lines) == 3 and all("could not connect" in line for line in lines)


def test_private_addresses_are_refused_unless_allowed(
    project, owner, settings, django_capture_on_commit_callbacks
):
    # The default on a real server: a manager's URL may not reach the server's own network.
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with Receiver([200]) as receiver:
        hook = _hook(project, owner, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            delivery = services.send_test_event(webhook=hook, by=owner)
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == "failed"
    assert "refused: 127.0.0.1 resolves to 127.0.0.1" in delivery.error
    assert not webhooks.is_public("169.254.169.254")
    assert not webhooks.is_public("10.1.2.3")
    assert webhooks.is_public("8.8.8.8")


def test_a_deactivated_webhook_stops_retrying(project, owner, django_capture_on_commit_callbacks):
    hook = _hook(project, owner, _closed_port_url())
    item = Item.objects.filter(project=project).first()
    services.post_comment(project=project, item=item, author=owner, body="x")
    services.update_webhook(webhook=hook, by=owner, active=False)
    delivery = WebhookDelivery.objects.get()
    services.deliver_webhook(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 0
    assert "deactivated" in delivery.error


def test_backoff_doubles():
    from trainerdesk.lib import webhooks

    assert [webhooks.retry_delay(n, base=30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_a_redirect_is_not_a_delivery(project, owner, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with Receiver([302]) as receiver:
        hook = _hook(project, owner, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            delivery = services.send_test_event(webhook=hook, by=owner)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.response_status == 302
    assert "HTTP 302" in delivery.error


def test_slack_text_escapes_control_sequences():
    from trainerdesk.lib import webhooks

    text = webhooks.slack_text(
        "item.commented",
        {"project": {"name": "P"}, "data": {"author": "a", "item": 1, "body": "<!channel> & co"}},
    )
    assert "&lt;!channel&gt; &amp; co" in text and "<!channel>" not in text


def test_slack_format_posts_text(project, owner, django_capture_on_commit_callbacks):
    with Receiver([200]) as receiver:
        hook = _hook(project, owner, receiver.url, slack_format=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.send_test_event(webhook=hook, by=owner)
    body = json.loads(receiver.requests[0]["body"])
    assert list(body) == ["text"] and project.name in body["text"]


# --- events -----------------------------------------------------------------------------------


def test_import_finished_fires(project, owner, django_capture_on_commit_callbacks):
    with Receiver([200]) as receiver:
        _hook(project, owner, receiver.url, events=["import.finished"])
        upload = SimpleUploadedFile("more.jsonl", b'{"text": "new"}\n{"oops"\n')
        with django_capture_on_commit_callbacks(execute=True):
            services.start_import(project=project, upload=upload, by=owner)
    [request] = receiver.requests
    payload = json.loads(request["body"])
    assert request["headers"]["x-trainerdesk-event"] == "import.finished"
    assert payload["data"]["items_added"] == 1 and payload["data"]["errors"] == 1
    assert payload["data"]["file"] == "more.jsonl"


def test_comment_fires_item_commented(project, owner, django_capture_on_commit_callbacks):
    with Receiver([200]) as receiver:
        _hook(project, owner, receiver.url, events=["item.commented"])
        item = Item.objects.filter(project=project).first()
        with django_capture_on_commit_callbacks(execute=True):
            services.post_comment(project=project, item=item, author=owner, body="Look")
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["event"] == "item.commented"
    assert payload["data"]["item"] == item.pk and payload["data"]["author"] == "owner"


def test_project_completed_fires_once_at_the_last_item(project, owner, teammate):
    hook = _hook(project, owner, "https://example.invalid/hook", events=["project.completed"])
    items = list(Item.objects.filter(project=project).order_by("id"))
    for item in items[:-1]:
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": "sport"}
        )
    services.submit_annotation(project=project, item=items[-1], user=teammate, skipped=True)
    assert not WebhookDelivery.objects.exists()  # a skip completes nothing
    services.submit_annotation(
        project=project, item=items[-1], user=owner, answer={"topic": "tech"}
    )
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.webhook == hook and delivery.event == "project.completed"
    assert delivery.payload["data"]["items"] == 3
    # Changing an answer on a complete project is no new completion.
    services.submit_annotation(
        project=project, item=items[0], user=teammate, answer={"topic": "tech"}
    )
    assert WebhookDelivery.objects.count() == 1


def test_inactive_or_uninterested_webhooks_get_nothing(project, owner):
    _hook(project, owner, "https://example.invalid/a", events=["import.finished"])
    quiet = _hook(project, owner, "https://example.invalid/b")
    services.update_webhook(webhook=quiet, by=owner, active=False)
    item = Item.objects.filter(project=project).first()
    services.post_comment(project=project, item=item, author=owner, body="x")
    assert not WebhookDelivery.objects.exists()


def test_bad_webhook_settings_name_the_field(project, owner):
    with pytest.raises(services.InvalidInput, match="url: must start with http"):
        _hook(project, owner, "ftp://example.org/x")
    with pytest.raises(services.InvalidInput, match="events: choose at least one"):
        _hook(project, owner, "https://example.org/x", events=[])
    with pytest.raises(services.InvalidInput, match="events: item.deleted not one of"):
        _hook(project, owner, "https://example.org/x", events=["item.deleted"])


# --- the page and the API ---------------------------------------------------------------------


def test_manager_registers_tests_toggles_and_deletes_on_the_page(
    client_for, project, owner, settings, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    url = f"/projects/{project.pk}/webhooks/"
    with Receiver([200]) as receiver:
        response = client.post(url, {"url": receiver.url, "events": ["item.commented"]})
        assert response.status_code == 302
        hook = Webhook.objects.get()
        assert hook.events == ["item.commented"] and hook.secret.startswith("whsec_")
        page = client.get(url).content.decode()
        assert hook.secret in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"{url}{hook.pk}/", {"action": "test"})
    page = client.get(url).content.decode()
    assert "webhook.test" in page and "delivered" in page
    client.post(f"{url}{hook.pk}/", {"action": "deactivate"})
    hook.refresh_from_db()
    assert hook.active is False
    client.post(f"{url}{hook.pk}/", {"action": "delete"})
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()


def test_bad_url_on_the_page_is_shown_next_to_the_field(client_for, project, owner):
    response = client_for(owner).post(
        f"/projects/{project.pk}/webhooks/", {"url": "javascript:alert(1)", "events": ALL_EVENTS}
    )
    assert response.status_code == 400
    assert "must start with http:// or https://" in response.content.decode()
    assert not Webhook.objects.exists()


def test_only_managers_see_webhooks(client_for, project, owner, teammate, outsider):
    hook = _hook(project, owner, "https://example.org/x")
    for user in (teammate, outsider):
        client = client_for(user)
        assert client.get(f"/projects/{project.pk}/webhooks/").status_code == 404
        assert (
            client.post(
                f"/projects/{project.pk}/webhooks/{hook.pk}/", {"action": "delete"}
            ).status_code
            == 404
        )
        assert client.get(f"{API}/projects/{project.pk}/webhooks").status_code == 404
        assert (
            client.get(f"{API}/projects/{project.pk}/webhooks/{hook.pk}/deliveries").status_code
            == 404
        )
    assert Webhook.objects.filter(pk=hook.pk).exists()


def test_api_crud_and_deliveries(client_for, project, owner, django_capture_on_commit_callbacks):
    client = client_for(owner)
    base = f"{API}/projects/{project.pk}/webhooks"
    with Receiver([200]) as receiver:
        response = client.post(
            base,
            {"url": receiver.url, "events": ["item.commented"], "slack_format": True},
            content_type="application/json",
        )
        assert response.status_code == 201
        hook = response.json()
        assert hook["secret"].startswith("whsec_") and hook["slack_format"] is True
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"{base}/{hook['id']}/test").status_code == 202
    deliveries = client.get(f"{base}/{hook['id']}/deliveries").json()
    assert [(d["event"], d["status"], d["attempts"]) for d in deliveries] == [
        ("webhook.test", "delivered", 1)
    ]
    patched = client.patch(
        f"{base}/{hook['id']}", {"active": False}, content_type="application/json"
    ).json()
    assert patched["active"] is False
    assert [h["id"] for h in client.get(base).json()] == [hook["id"]]
    assert client.delete(f"{base}/{hook['id']}").status_code == 204
    assert client.get(f"{base}/{hook['id']}").status_code == 404


def test_api_errors_name_the_field(client_for, project, owner):
    client = client_for(owner)
    base = f"{API}/projects/{project.pk}/webhooks"
    response = client.post(
        base, {"url": "ftp://x", "events": ["item.commented"]}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["errors"] == [
        "url: must start with http:// or https://"
    ]
    response = client.post(
        base, {"url": "https://x.org", "events": ["nope"]}, content_type="application/json"
    )
    assert response.status_code == 422 and "payload.events" in response.json()["message"]
