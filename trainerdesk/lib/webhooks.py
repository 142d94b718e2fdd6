"""Webhook payloads, signatures and the HTTP POST itself (no Django imports).

The POST uses the standard library's http.client: one JSON request with a timeout, sent
to an address checked beforehand, needs nothing more, and the installed HTTP clients (none
is a declared dependency) would add one for a few lines.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import re
import secrets
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson

USER_AGENT = "TrainerDesk-Webhooks/1"
MAX_ERROR_CHARS = 1000


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


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


@dataclass
class PostResult:
    ok: bool
    status: int | None
    error: str


class Refused(Exception):
    """A webhook URL the server will not send to; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the host as sent in Host and TLS SNI, and the one address
    that was checked and that the connection is made to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


# One DNS label after IDNA: letters, digits and inner hyphens (RFC 1123).
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# A last label like these makes the C resolver read the name as an IPv4 number
# (2130706433, 0x7f.1, 127.1, 0177.0.0.1 all mean 127.0.0.1); no top-level domain looks so.
_NUMERIC = re.compile(r"[0-9]+|0x[0-9a-f]*")


def _plain_host(host: str) -> str:
    """The host as the connection will use it: an IP address in its standard form, or an
    ASCII (IDNA) host name of plain labels. Anything else (percent-encoding, IPv4 in
    decimal, octal or hex, stray characters) is refused: only then does the name that is
    checked match the name that is connected to."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Refused(f"host {host[:100]!r} is not a valid host name") from None
    labels = ascii_host.removesuffix(".").split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or len(ascii_host) > 253:
        raise Refused(
            f"host {host[:100]!r} is not a plain host name or IP address "
            "(letters, digits, hyphens and dots only; no percent-encoding)"
        )
    if _NUMERIC.fullmatch(labels[-1]):
        raise Refused(
            f"host {host[:100]!r} looks like an IP address in a non-standard form: "
            "write IPv4 addresses as four decimal numbers, e.g. 203.0.113.7"
        )
    return ascii_host


def _parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a webhook URL, or Refused."""
    if len(url) > 1000:
        raise Refused("must be at most 1000 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("must start with http:// or https://")
    if not parts.hostname:
        raise Refused("has no host name")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not contain a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(f"has an invalid port ({exc})") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, _plain_host(parts.hostname), port, path


def check_url(url: str) -> str | None:
    """Why a URL cannot receive webhooks, or None when it can (its form only: where the
    host resolves to is checked at each delivery, by `resolve`)."""
    try:
        _parse(url)
    except Refused as exc:
        return str(exc)
    return None


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local
    such as cloud metadata at 169.254.169.254, reserved or multicast)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allow_private: bool = False) -> Target:
    """Parse the URL, resolve its host once and check every address it resolves to.

    A webhook URL is chosen by a project manager but the request leaves from the server, so
    by default it may not reach the server's own network (as GitLab and Gitea do). The
    connection then goes to the checked address (`post` pins it), so a DNS answer that
    changes after the check (rebinding) cannot redirect it."""
    scheme, host, port, path = _parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"refused: {host} does not resolve ({exc})") from None
    # A str host for IPv4 and IPv6; an address family this Python cannot read (an int
    # here) is never connected to.
    hosts = (info[4][0] for info in infos)
    addresses = list(dict.fromkeys(h for h in hosts if isinstance(h, str)))
    if not addresses:
        raise Refused(f"refused: {host} does not resolve")
    if not allow_private:
        blocked = next((a for a in addresses if not is_public(a)), None)
        if blocked is not None:
            raise Refused(
                f"refused: {host} resolves to {blocked}, an address on a private network "
                "(set TRAINERDESK_WEBHOOK_ALLOW_PRIVATE=true to allow it)"
            )
    return Target(scheme, host, port, path, addresses[0])


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to the checked address, with the URL's host in Host and SNI.

    The standard library's http.client rather than urllib: urllib resolves (and
    percent-decodes) the host itself and follows proxies from the environment, so what it
    connects to is not what was checked; http.client lets `connect` choose the socket and
    never follows redirects (a webhook URL that redirects is a failed delivery)."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target
        # Host carries the port only when it is not the scheme's default.
        self.default_port = 443 if target.scheme == "https" else 80

    def connect(self) -> None:
        sock = socket.create_connection((self.target.address, self.target.port), self.timeout)
        if self.target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.target.host)
        self.sock = sock


def post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool = False,
) -> PostResult:
    """POST the body; a 2xx answer is a delivery. Never raises."""
    try:
        target = resolve(url, allow_private=allow_private)
    except Refused as exc:
        message = str(exc)
        if not message.startswith("refused"):
            message = f"refused: the URL {message}"
        return PostResult(False, None, message[:MAX_ERROR_CHARS])
    connection = _PinnedConnection(target, timeout)
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        connection.request("POST", target.path, body=body, headers=sent)
        response = connection.getresponse()
        status = response.status
        if 200 <= status < 300:
            response.read(1024)
            return PostResult(True, status, "")
        if 300 <= status < 400:
            location = response.getheader("Location", "?")
            return PostResult(False, status, f"HTTP {status}: redirected to {location}"[:1000])
        detail = response.read(300).decode("utf-8", "replace").strip()
        message = f"HTTP {status} {response.reason}" + (f": {detail}" if detail else "")
        return PostResult(False, status, message[:MAX_ERROR_CHARS])
    except OSError as exc:
        return PostResult(False, None, f"could not connect: {exc}"[:MAX_ERROR_CHARS])
    except Exception as exc:  # noqa: BLE001 - a delivery records any failure, never raises
        return PostResult(False, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
    finally:
        connection.close()
