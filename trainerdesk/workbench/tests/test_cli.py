import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import TOPIC_SCHEMA
from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.workbench import services

ROOT = Path(__file__).resolve().parents[3]


def run(*args):
    """Call a command in-process (inside the test transaction); return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def cli_env(tmp_path):
    """Environment for a real `python -m trainerdesk` process with its own SQLite database,
    so a developer's DATABASE_URL is never touched by these tests."""
    env = {**os.environ, "TRAINERDESK_DATA_DIR": str(tmp_path / "data")}
    env["TRAINERDESK_TASKS_BACKEND"] = "database"
    for name in ("DATABASE_URL", "TRAINERDESK_MEDIA_ROOT", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def cli(tmp_path, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "trainerdesk", *args],
        cwd=ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def write_jsonl(path, rows):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


# --- import -------------------------------------------------------------------------------


def test_import_reports_the_bad_line_and_keeps_the_good_rows(project, tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(
        '{"text": "Rates were cut."}\n'
        '{"text": "Broken row", "reference": {"topic": "cooking"}}\n'
        '{"text": "The match ended 2-1."}\n'
    )
    with pytest.raises(CommandError) as failed:
        run("import", str(project.pk), str(path))
    assert failed.value.returncode == 1
    assert project.items.count() == 5

    # Re-running the same file after a partial failure must not double the good rows.
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", project.name, str(path), stdout=out, stderr=err)
    assert "0 added, 2 duplicates skipped, 1 errors" in out.getvalue()
    assert "line 2" in err.getvalue() and "cooking" in err.getvalue()
    assert project.items.count() == 5


def test_clean_import_succeeds_and_counts(project, tmp_path):
    path = write_jsonl(tmp_path / "ok.jsonl", [{"text": f"Story {n}"} for n in range(7)])
    out, _ = run("import", "News topics", str(path))
    assert "7 added, 0 duplicates skipped, 0 errors" in out
    assert project.items.count() == 10


def test_an_unusable_file_fails_with_its_name(project, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text('{"data": {"text": "not a list of tasks"}}')
    with pytest.raises(CommandError) as failed:
        run("import", str(project.pk), str(path))
    assert "tasks.json" in str(failed.value) and "array" in str(failed.value)
    assert project.items.count() == 3


def test_an_unknown_project_or_extension_is_named(project, tmp_path):
    path = write_jsonl(tmp_path / "ok.jsonl", [{"text": "x"}])
    with pytest.raises(CommandError, match="'Sports desk'"):
        run("import", "Sports desk", str(path))
    odd = tmp_path / "items.txt"
    odd.write_text("x")
    with pytest.raises(CommandError, match="items.txt"):
        run("import", str(project.pk), str(odd))


def test_cli_import_exit_code_and_line_number(tmp_path):
    # The real command line, in a separate process: what a user's shell sees.
    assert cli(tmp_path, "migrate", "-v0").returncode == 0
    assert cli(tmp_path, "demo", "--limit", "2").returncode == 0
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "Loved it."}\n{"text": ["not", "text"]}\n{"text": "Dull."}\n')
    result = cli(tmp_path, "import", "Movie review sentiment", str(path))
    assert result.returncode == 1
    assert "2 added" in result.stdout
    assert "line 2: data.text" in result.stderr
    again = cli(tmp_path, "import", "Movie review sentiment", str(path))
    assert "0 added, 2 duplicates skipped" in again.stdout


def test_no_arguments_prints_the_main_commands(tmp_path):
    result = cli(tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "demo", "import", "export", "createuser"):
        assert f"\n  {command} " in result.stdout


# --- export -------------------------------------------------------------------------------


def test_export_to_a_file_round_trips(project, owner, teammate, tmp_path):
    first = services.next_item(project=project, user=teammate)
    services.submit_annotation(
        project=project, item=first, user=teammate, answer={"topic": "business"}
    )
    services.add_items(
        project=project,
        items=[{"data": {"text": "Ref row"}, "reference": {"topic": "tech"}}],
        by=project.created_by,
    )
    path = tmp_path / "out.jsonl"
    _, err = run("export", str(project.pk), "--output", str(path))
    assert str(path) in err
    assert not list(tmp_path.glob(".*partial"))

    copy = services.create_project(
        organization=project.organization, created_by=owner, name="Copy", label_schema=TOPIC_SCHEMA
    )
    out, _ = run("import", str(copy.pk), str(path))
    assert "4 added" in out

    def snapshot(p):
        return [
            (item.data, item.reference, [a.answer for a in item.annotations.all()])
            for item in p.items.order_by("id")
        ]

    assert snapshot(copy) == snapshot(project)
    assert snapshot(copy)[0][2] == [{"topic": "business"}]


def test_export_options_filter_and_pick_the_format(project, teammate, tmp_path):
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(project=project, item=item, user=teammate, answer={"topic": "sport"})
    path = tmp_path / "labeled.jsonl"
    run("export", project.name, "-o", str(path), "--only-labeled", "--no-annotations")
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert len(records) == 1
    assert "annotations" not in records[0]
    csv_path = tmp_path / "all.csv"
    run("export", str(project.pk), "-o", str(csv_path))
    assert csv_path.read_text().splitlines()[0].startswith("external_id,")
    with pytest.raises(CommandError, match="CoNLL"):
        run("export", str(project.pk), "--format", "conll", "-o", str(tmp_path / "x.conll"))
    assert not (tmp_path / "x.conll").exists()


# --- createuser ---------------------------------------------------------------------------


def test_createuser_with_a_new_then_an_existing_organization(db, monkeypatch):
    out, _ = run(
        "createuser",
        "ada",
        "--email",
        "ada@example.org",
        "--password",
        "Analytical-1843",
        "--org",
        "Engine Co",
    )
    assert "owner of the new organization Engine Co" in out
    ada = get_user_model().objects.get(username="ada")
    assert ada.check_password("Analytical-1843") and ada.email == "ada@example.org"
    org = Organization.objects.get(name="Engine Co")
    assert org.role_of(ada) == Membership.Role.OWNER

    monkeypatch.setenv("TRAINERDESK_PASSWORD", "Difference-1822")
    run("createuser", "charles", "--org", "Engine Co", "--role", "admin")
    charles = get_user_model().objects.get(username="charles")
    assert charles.check_password("Difference-1822")
    assert org.role_of(charles) == Membership.Role.ADMIN


def test_createuser_refuses_weak_passwords_taken_names_and_silent_prompts(db, monkeypatch):
    with pytest.raises(CommandError, match="too short"):
        run("createuser", "ada", "--password", "abc")
    assert not get_user_model().objects.filter(username="ada").exists()
    run("createuser", "ada", "--password", "Analytical-1843")
    with pytest.raises(CommandError, match="taken"):
        run("createuser", "ada", "--password", "Analytical-1843")
    monkeypatch.delenv("TRAINERDESK_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="TRAINERDESK_PASSWORD"):
        run("createuser", "bob")
    # A failed org step must not leave a half-made user behind.
    with pytest.raises(CommandError, match="does not exist"):
        run(
            "createuser",
            "carol",
            "--password",
            "Analytical-1843",
            "--org",
            "Nope",
            "--role",
            "member",
        )
    assert not get_user_model().objects.filter(username="carol").exists()


# --- serve --------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid):
    """Live child processes of pid, as {pid: command line}, read from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, ppid = text.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found[int(stat.parent.name)] = cmdline
    return found


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


_MIGRATED: list[Path] = []


def migrated_data_dir(tmp_path) -> None:
    """Give the server a data dir with every migration applied, made once per test process:
    a fresh `migrate` of all apps takes about 15 s of CPU (Django re-renders the model
    states per operation; measured 2026-12-04), over 30 s on a loaded machine, and these
    tests time serving, not migrating (test_cli_import_exit_code_and_line_number runs a
    real migrate)."""
    if not _MIGRATED:
        base = Path(tempfile.mkdtemp(prefix="trainerdesk-migrated-"))
        result = cli(base, "migrate", "-v0")
        assert result.returncode == 0, result.stderr
        _MIGRATED.append(base / "data")
    if not (tmp_path / "data").exists():
        shutil.copytree(_MIGRATED[0], tmp_path / "data")


def start_server(tmp_path, **env):
    migrated_data_dir(tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainerdesk", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env={**cli_env(tmp_path), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/accounts/login/"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return proc, port, response
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(
                    "server did not answer in 30 s:\n" + (tmp_path / "serve.log").read_text()
                )
            time.sleep(0.3)


def wait_gone(pids, timeout=30):
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [p for p in pids if alive(p)]


@pytest.mark.process
def test_serve_runs_web_and_worker_and_stops_both_on_sigterm(tmp_path):
    proc, port, response = start_server(tmp_path)
    try:
        assert response.status == 200
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        children = children_of(proc.pid)
        web = [p for p, cmd in children.items() if "gunicorn" in cmd]
        assert len(web) == 1, children
        assert "--config=python:trainerdesk.gunicorn_conf" in children[web[0]]  # preloads
        # The background worker is forked from gunicorn's preloaded master, beside the
        # one web worker.
        worker = wait_for(lambda: workers_of(proc), "the background worker", tmp_path / "serve.log")
        assert len(worker) == 1 and len(children_of(web[0])) == 2, children_of(web[0])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert wait_gone(web + worker) == []
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "serve.log").read_text()
    assert f"running at http://127.0.0.1:{port}/" in log


def web_of(proc):
    return [p for p, cmd in children_of(proc.pid).items() if "gunicorn" in cmd]


def workers_of(proc):
    """The background worker: a child of gunicorn's master named td-worker (gunicorn_app)."""
    return [p for master in web_of(proc) for p in children_of(master) if comm(p) == "td-worker"]


def assert_login_page_answers(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10) as r:
        assert r.status == 200


def wait_for(condition, what, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {timeout} s:\n" + log_path.read_text())
        time.sleep(0.2)
    return found


@pytest.mark.process
def test_serve_restarts_a_killed_worker_and_keeps_serving(tmp_path):
    proc, port, _ = start_server(tmp_path)
    log = tmp_path / "serve.log"
    try:
        web = web_of(proc)
        (worker,) = workers_of(proc)
        os.kill(worker, signal.SIGKILL)
        (restarted,) = wait_for(
            lambda: [p for p in workers_of(proc) if p != worker], "a worker restart", log
        )
        assert proc.poll() is None
        assert web_of(proc) == web
        assert_login_page_answers(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert wait_gone([*web, restarted]) == []
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "The background worker exited with code -9; restarting it in 1 s." in log.read_text()


@pytest.mark.process
def test_sighup_reloads_the_web_server_and_the_worker_in_place(tmp_path):
    proc, port, _ = start_server(tmp_path)
    log = tmp_path / "serve.log"
    try:
        web = web_of(proc)
        (worker,) = workers_of(proc)
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: [p for p in workers_of(proc) if p != worker], "a worker restart", log)
        wait_for(lambda: "Handling signal: hup" in log.read_text(), "gunicorn's reload", log)
        assert web_of(proc) == web
        assert_login_page_answers(port)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def late_request(port):
    """Connect and send a GET while the server stops: (socket, None), or (None, "refused")."""
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    except ConnectionRefusedError:
        return None, "refused"
    conn.sendall(f"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return conn, None


@pytest.mark.process
def test_sigterm_lets_a_request_in_flight_finish_and_drops_none(tmp_path):
    proc, port, _ = start_server(tmp_path)
    log = tmp_path / "serve.log"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
            html = page.read().decode()
            cookie = page.headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        # The CSRF token comes last in the body, so the server cannot answer before it
        # has the whole body: the request is in flight while we hold the rest back.
        body = f"username=nobody&password=wrong-password-1&csrfmiddlewaretoken={token}".encode()
        head = (
            f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head + body[:20])
            time.sleep(1)  # let gunicorn take the connection (not an assertion)
            proc.send_signal(signal.SIGTERM)
            wait_for(lambda: "Handling signal: term" in log.read_text(), "gunicorn's stop", log)
            time.sleep(1)  # the web worker has stopped accepting by now (not an assertion)
            # A request arriving while the server stops is answered or refused (safe to
            # retry); stock gthread let it queue and reset it on exit: a dropped request.
            late, refused = late_request(port)
            conn.sendall(body[20:])
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert b"csrfmiddlewaretoken" in reply  # the login page again, with its error
        if late is not None:
            with late:
                try:
                    answer = late.recv(65536)
                except ConnectionResetError:
                    answer = b"reset"
            assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
        else:
            assert refused == "refused"
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_demo_and_createuser_work_on_a_brand_new_data_directory(tmp_path):
    # `make run` loads the demo before anything has migrated the new database.
    demo = cli(tmp_path, "demo", "--limit", "3")
    assert demo.returncode == 0, demo.stderr
    assert "Demo ready" in demo.stdout
    fresh = tmp_path / "second"
    fresh.mkdir()
    created = cli(fresh, "createuser", "ada", "--password", "a-long-enough-password-1")
    assert created.returncode == 0, created.stderr


def demo_token(tmp_path):
    assert cli(tmp_path, "demo", "--limit", "2").returncode == 0
    return cli(
        tmp_path,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as U;"
        "from trainerdesk.accounts.services import create_api_token as t;"
        "print(t(user=U().objects.get(username='manager'), name='e2e')[1])",
    ).stdout.split()[-1]  # the shell may print its auto-import notice first


def upload(port, token, rows: bytes) -> dict:
    boundary = "trainerdesk-e2e"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="rows.jsonl"\r\nContent-Type: application/x-ndjson\r\n\r\n'
        ).encode()
        + rows
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/projects/1/imports",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202
        return orjson.loads(response.read())


def import_job(port, token, job_id) -> dict:
    poll = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/projects/1/imports/{job_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(poll, timeout=10) as response:
        return orjson.loads(response.read())


def test_an_upload_is_imported_by_the_background_worker_of_serve(tmp_path):
    # The rest of the suite runs tasks inline; this is the production path: the web
    # process stores the upload and queues a task, the worker process imports it.
    token = demo_token(tmp_path)
    proc, port, _ = start_server(tmp_path)
    try:
        job = upload(port, token, b'{"text": "first"}\n{"text": 42}\n{"text": "third"}\n')
        deadline = time.monotonic() + 60
        while job["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            job = import_job(port, token, job["id"])
        assert job["status"] == "done", job
        assert (job["items_added"], job["error_count"]) == (2, 1)
        assert job["errors"][0]["line"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_an_import_whose_worker_is_killed_ends_failed_with_its_counts(tmp_path):
    # kill -9 mid-import: the supervisor starts a new worker, which finds the import's
    # heartbeat stale and marks it failed, keeping what was committed.
    token = demo_token(tmp_path)
    proc, port, _ = start_server(
        tmp_path, TRAINERDESK_STALE_RUN_SECONDS="3", TRAINERDESK_IMPORT_BATCH_SIZE="2000"
    )
    log = tmp_path / "serve.log"
    try:
        rows = b"".join(b'{"text": "row %d"}\n' % i for i in range(1_000_000))
        job = upload(port, token, rows)
        job = wait_for(
            lambda: (j := import_job(port, token, job["id"]))["items_added"] and j,
            "import progress",
            log,
        )
        assert job["status"] == "running", job
        (worker,) = workers_of(proc)
        os.kill(worker, signal.SIGKILL)
        job = wait_for(
            lambda: (j := import_job(port, token, job["id"]))["status"] != "running" and j,
            "the dead import's failure",
            log,
        )
        assert job["status"] == "failed", job
        assert "the import stopped without finishing" in job["message"], job
        assert job["items_added"] >= 2000
        assert f"{job['items_added']:,} items added" in job["message"]
        assert "import the file again — rows already imported are skipped" in job["message"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
