"""Webhook payloads, signatures and the HTTP POST itself (no Django imports).

The POST uses the standard library's urllib: one JSON request with a timeout needs nothing
more, and the installed HTTP clients (none is a declared dependency) would add one for a
dozen lines.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson

USER_AGENT = "TrainerDesk-Webhooks/1"
MAX_ERROR_CHARS = 1000


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> str | None:
    """Why a URL cannot receive webhooks, or None when it can."""
    if len(url) > 1000:
        return "must be at most 1000 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    return None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-TrainerDesk-Signature value: HMAC-SHA256 over "timestamp.body", so a
    captured request cannot be replayed later with a new timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and commands (<!channel>); its docs ask for these three.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(event: str, payload: dict) -> str:
    """A one-line message for Slack-compatible incoming webhooks."""
    return _slack_escape(_plain_text(event, payload))


def _plain_text(event: str, payload: dict) -> str:
    project = payload.get("project", {}).get("name", "a project")
    data = payload.get("data", {})
    if event == "import.finished":
        return (
            f"Import of {data.get('file', 'a file')} into {project} {data.get('status', 'ended')}:"
            f" {data.get('items_added', 0)} items added, {data.get('errors', 0)} rows with errors."
        )
    if event == "item.commented":
        return (
            f"{data.get('author', 'Someone')} commented on item {data.get('item')} in {project}:"
            f" {str(data.get('body', ''))[:300]}"
        )
    if event == "project.completed":
        return f"{project} is complete: all {data.get('items', 0)} items have their answers."
    if event == "webhook.test":
        return f"Test event from TrainerDesk for {project}."
    return f"{event} in {project}"


def request_body(event: str, payload: dict, *, slack: bool) -> bytes:
    if slack:
        return orjson.dumps({"text": slack_text(event, payload)})
    return orjson.dumps(payload)


def retry_delay(attempt: int, *, base: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): base, 2·base, 4·base…"""
    return base * 2 ** (attempt - 1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect with a GET and no body, and count the answer as a
    delivery; a webhook URL that redirects is a failed delivery the manager should see."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass
class PostResult:
    ok: bool
    status: int | None
    error: str


def private_address(host: str) -> str | None:
    """The first address `host` resolves to that is not on the public internet (loopback,
    private, link-local such as cloud metadata at 169.254.169.254, reserved), or None.

    A webhook URL is chosen by a project manager but the request leaves from the server, so
    by default it may not reach the server's own network (as GitLab and Gitea do). The check
    runs just before each delivery; a DNS answer that changes between this lookup and the
    connection (rebinding) is not covered.
    """
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return None  # the POST reports the name that does not resolve
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


def post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool = False,
) -> PostResult:
    """POST the body; a 2xx answer is a delivery. Never raises."""
    if not allow_private:
        host = urlsplit(url).hostname or ""
        blocked = private_address(host)
        if blocked:
            return PostResult(
                False,
                None,
                f"refused: {host} resolves to {blocked}, an address on a private network "
                "(set TRAINERDESK_WEBHOOK_ALLOW_PRIVATE=true to allow it)",
            )
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(1024)
            return PostResult(True, response.status, "")
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        message = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        if 300 <= exc.code < 400:
            message = f"HTTP {exc.code}: redirected to {exc.headers.get('Location', '?')}"
        return PostResult(False, exc.code, message[:MAX_ERROR_CHARS])
    except urllib.error.URLError as exc:
        return PostResult(False, None, f"could not connect: {exc.reason}"[:MAX_ERROR_CHARS])
    except Exception as exc:  # noqa: BLE001 - a delivery records any failure, never raises
        return PostResult(False, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
