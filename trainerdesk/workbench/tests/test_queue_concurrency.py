"""20 annotators asking for items and submitting at once, through a real server.

The server is gunicorn with several worker processes and threads, on its own database
(a SQLite file in WAL mode, or a fresh PostgreSQL database when the suite runs on
PostgreSQL), so the queue is exercised the way production runs it: separate processes
racing on the same rows.
"""

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings

pytestmark = pytest.mark.concurrency

ANNOTATORS = 20
ITEMS = 60
OVERLAP = 2

SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from trainerdesk.accounts.services import (
    add_member, create_api_token, create_organization, create_user)
from trainerdesk.workbench import services
owner = create_user(username="owner", password="x", check_password=False)
org = create_organization(name="Race", owner=owner)
project = services.create_project(
    organization=org, created_by=owner, name="race", overlap={overlap},
    label_schema={{"fields": [{{"name": "topic", "type": "choice", "source": "text",
                               "labels": ["a", "b"]}}]}},
)
services.add_items(
    project=project,
    items=[{{"text": f"item {{i}}"}} for i in range({items})],
    by=project.created_by,
)
tokens = []
for i in range({annotators}):
    user = create_user(username=f"ann{{i}}", password="x", check_password=False)
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="annotator", by=owner)
    tokens.append(create_api_token(user=user, name="race")[1])
print(json.dumps({{"project": project.pk, "tokens": tokens,
                  "owner": create_api_token(user=owner, name="check")[1]}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_database(tmp_path):
    """A database of the same kind as the suite's, owned by this test alone."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    import psycopg

    name = f"td_race_{uuid.uuid4().hex[:10]}"
    admin = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']}"
    with psycopg.connect(f"{admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with psycopg.connect(f"{admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _call(method: str, url: str, token: str, body: dict | None = None):
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_twenty_annotators_at_once_lose_nothing_and_exceed_no_overlap(tmp_path, server_database):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trainerdesk.settings",
        "TRAINERDESK_DATA_DIR": str(tmp_path),
        "DATABASE_URL": server_database,
        "TRAINERDESK_TASKS_BACKEND": "immediate",
    }
    setup = subprocess.run(
        [sys.executable, "-c", SETUP.format(overlap=OVERLAP, items=ITEMS, annotators=ANNOTATORS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stderr
    state = json.loads(setup.stdout.strip().splitlines()[-1])
    port = _free_port()
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 - read back after the run
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "trainerdesk.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v1/projects/{state['project']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _call("GET", base, state["owner"])[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)

        failures: list[str] = []
        served: dict[int, list[int]] = {}
        lock = threading.Lock()
        start = threading.Barrier(ANNOTATORS)

        def annotate(index: int, token: str) -> None:
            rng = random.Random(index)
            start.wait()
            # The first /next goes out twice at once, as a double click sends it: both
            # must get the same item. (The interleaving that made the second one a 500 on
            # PostgreSQL is rare here; test_queue.py forces it.)
            twin: list = []
            double = threading.Thread(
                target=lambda: twin.append(_call("GET", f"{base}/next", token))
            )
            double.start()
            while True:
                status, body = _call("GET", f"{base}/next", token)
                if double is not None:
                    double.join()
                    double = None
                    twin_status, twin_body = twin[0]
                    if (twin_status, status) != (200, 200) or (twin_body["item"] or {}).get(
                        "id"
                    ) != (body["item"] or {}).get("id"):
                        failures.append(f"ann{index} double next: {twin_status} {twin_body}")
                        return
                if status != 200:
                    failures.append(f"ann{index} next: {status} {body}")
                    return
                if body["item"] is None:
                    return
                item = body["item"]["id"]
                with lock:
                    served.setdefault(index, []).append(item)
                submission = {
                    "item": item,
                    "answer": {"topic": rng.choice("ab")},
                    "client_id": str(uuid.uuid4()),
                    "lead_time": 1.0,
                }
                # Some clients retry their submission, as a flaky network makes them do.
                for _ in range(2 if rng.random() < 0.2 else 1):
                    status, body = _call("POST", f"{base}/annotations", token, submission)
                    if status not in (200, 201):
                        failures.append(f"ann{index} submit {item}: {status} {body}")
                        return

        threads = [
            threading.Thread(target=annotate, args=(i, t)) for i, t in enumerate(state["tokens"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        assert not any(t.is_alive() for t in threads), "annotators still running"
        assert failures == []

        for index, items in served.items():
            assert len(items) == len(set(items)), f"ann{index} got an item twice"
        status, annotations = _call("GET", f"{base}/annotations?limit=1000", state["owner"])
        assert status == 200
        rows = annotations["annotations"] if isinstance(annotations, dict) else annotations
        per_item: dict[int, set[str]] = {}
        for row in rows:
            per_item.setdefault(row["item"], set()).add(row["annotator"])
        # Every item got exactly OVERLAP distinct annotators: nothing lost, nothing extra.
        assert len(rows) == ITEMS * OVERLAP
        assert len(per_item) == ITEMS
        assert all(len(annotators) == OVERLAP for annotators in per_item.values())
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.seek(0)
        output = log.read()
        log.close()
    assert "database is locked" not in output
    assert "Traceback" not in output, output[-3000:]
