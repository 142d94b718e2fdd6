"""Webhook URLs cannot reach the server's own network by another spelling of the host, nor
by a DNS answer that changes between the check and the connection (issue 8, section 6)."""

import socket

import pytest

from trainerdesk.lib import webhooks
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Webhook
from trainerdesk.workbench.tests.test_webhooks import Receiver

# Every one of these reaches 127.0.0.1 or 169.254.169.254 through urllib or the C resolver.
DISGUISED = [
    "http://%31%32%37.0.0.1:{port}/hook",
    "http://%31%36%39.254.169.254:{port}/latest/meta-data",
    "http://2130706433:{port}/hook",
    "http://0x7f.1:{port}/hook",
    "http://127.1:{port}/hook",
    "http://0177.0.0.1:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://[::1]:{port}/hook",
    "http://localhost:{port}/hook",
]


@pytest.fixture(autouse=True)
def _guard_on(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_RETRY_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


@pytest.mark.parametrize("template", DISGUISED)
def test_disguised_local_hosts_get_nothing(template):
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        result = webhooks.post(
            template.format(port=port), b"{}", headers={}, timeout=5, allow_private=False
        )
    assert receiver.requests == []
    assert not result.ok and result.error.startswith("refused")


@pytest.mark.parametrize(
    "url",
    [
        "http://%31%32%37.0.0.1/hook",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://exa mple.com/",
        "http://user:secret@example.com/",
        "http://example.com:99999/",
    ],
)
def test_disguised_hosts_are_refused_when_saved(project, owner, url):
    with pytest.raises(services.InvalidInput) as caught:
        services.create_webhook(project=project, by=owner, url=url, events=["item.commented"])
    assert caught.value.errors[0].startswith("url: ")


def test_a_stored_percent_encoded_url_is_not_delivered(
    project, owner, django_capture_on_commit_callbacks
):
    # A row saved before the URL check knew this spelling: the delivery still refuses it.
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        hook = Webhook.objects.create(
            project=project,
            url=f"http://%31%32%37.0.0.1:{port}/hook",
            events=["item.commented"],
            secret=webhooks.new_secret(),
            created_by=owner,
        )
        with django_capture_on_commit_callbacks(execute=True):
            delivery = services.send_test_event(webhook=hook, by=owner)
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == "failed" and "refused" in delivery.error
    assert "percent-encoding" in delivery.error


def test_an_unresolvable_host_is_refused(monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    result = webhooks.post("http://hooks.invalid/x", b"{}", headers={}, timeout=5)
    assert not result.ok and result.error.startswith("refused: hooks.invalid does not resolve")


def test_one_private_address_among_public_ones_is_refused(monkeypatch):
    answers = [("93.184.215.14", 80), ("10.0.0.5", 80)]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", sa) for sa in answers],
    )
    result = webhooks.post("http://mixed.example/x", b"{}", headers={}, timeout=5)
    assert not result.ok and "resolves to 10.0.0.5" in result.error


def test_the_connection_goes_to_the_checked_address(monkeypatch):
    """DNS rebinding: the first answer is public, every later one 127.0.0.1. The request
    must go to the address that was checked, never to the later answer."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    calls = []

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            calls.append(host)
            address = "93.184.215.14" if len(calls) == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    connected = []

    def connect(address, *args, **kwargs):
        host, port = address[0], address[1]
        if host == "rebind.example":  # what the OS would do with a host name
            host = rebinding(host, port)[0][4][0]
        connected.append(host)
        if host != "127.0.0.1":
            raise ConnectionRefusedError("no internet in tests")
        return real_connect((host, port), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", connect)
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        result = webhooks.post(f"http://rebind.example:{port}/hook", b"{}", headers={}, timeout=5)
    assert receiver.requests == []
    assert connected == ["93.184.215.14"]
    assert len(calls) == 1  # resolved once
    assert not result.ok and "could not connect" in result.error


def test_host_header_names_the_host_while_the_socket_uses_the_address(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def local_name(host, port, *args, **kwargs):
        if host == "hooks.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_name)
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        result = webhooks.post(
            f"http://hooks.example:{port}/hook?a=1",
            b'{"x": 1}',
            headers={"X-Test": "1"},
            timeout=5,
            allow_private=True,
        )
    assert result.ok and result.status == 200
    [request] = receiver.requests
    assert request["headers"]["host"] == f"hooks.example:{port}"
    assert request["headers"]["x-test"] == "1" and request["body"] == b'{"x": 1}'


def test_idna_host_names_are_accepted():
    assert webhooks.check_url("https://bücher.example/hook") is None
    assert webhooks.check_url("https://hooks.example.com./x") is None
    assert webhooks.check_url("https://[2001:db8::1]/x") is None


def test_https_pins_the_address_but_verifies_the_certificate_for_the_host(monkeypatch, tmp_path):
    """TLS to the checked address: SNI and the certificate check use the URL's host."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a throwaway certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example",
         "-addext", "subjectAltName=DNS:hooks.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_names = []
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    real_getaddrinfo = socket.getaddrinfo

    def local_name(host, port, *args, **kwargs):
        if host == "hooks.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_name)
    # Trust only the throwaway certificate (the system store would refuse it).
    real_context = ssl.create_default_context
    monkeypatch.setattr(
        webhooks.ssl, "create_default_context", lambda: real_context(cafile=str(cert))
    )
    receiver = Receiver([200])
    receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)
    with receiver:
        port = receiver.server.server_address[1]
        ok = webhooks.post(
            f"https://hooks.example:{port}/hook", b"{}", headers={}, timeout=5, allow_private=True
        )
        wrong_name = webhooks.post(
            f"https://127.0.0.1:{port}/hook", b"{}", headers={}, timeout=5, allow_private=True
        )
    assert ok.ok and ok.status == 200, ok.error
    assert server_names[0] == "hooks.example"
    assert receiver.requests[0]["headers"]["host"] == f"hooks.example:{port}"
    assert not wrong_name.ok and "certificate" in wrong_name.error.lower()
