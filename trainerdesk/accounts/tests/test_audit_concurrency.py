"""Writers racing on one chain never fork it: 8 threads, each with its own database
connection, append 25 events apiece to a chain that does not exist yet (so they also
race to create its head) and to an existing one. seq must run 1..N with no gap and the
chain must verify. On a SQLite file (WAL, BEGIN IMMEDIATE) and on a fresh PostgreSQL
database (row lock on the chain head), each in a child process so the threads use real
separate connections to a real database.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest

pytestmark = pytest.mark.concurrency

THREADS = 8
EACH = 25
PG = "host=127.0.0.1 port=5432 user=postgres"

SCRIPT = """
import json, threading, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection, transaction
from trainerdesk.accounts.models import AuditEvent
from trainerdesk.accounts.services import create_organization, create_user
from trainerdesk.lib import audit

owner = create_user(username="owner", password="x", check_password=False)
org = create_organization(name="Race", owner=owner)
FRESH = 424242
barrier = threading.Barrier({threads})
errors = []

def work(n):
    try:
        barrier.wait()
        for i in range({each}):
            for target in (org.pk, FRESH):
                with transaction.atomic():
                    audit.record(action="accounts.membership.update", organization=target,
                                 changes={{"thread": n, "i": i}}, system="race")
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=work, args=(n,)) for n in range({threads})]
for t in threads: t.start()
for t in threads: t.join()
out = {{"errors": errors}}
for key, org_id in (("existing", org.pk), ("fresh", FRESH)):
    seqs = list(AuditEvent.objects.filter(organization_id=org_id).order_by("seq")
                .values_list("seq", flat=True))
    report = audit.verify(audit.chain_key(org_id))
    out[key] = {{"seqs": seqs, "events": report.events,
                "broken": report.broken and report.broken.problem}}
print(json.dumps(out))
"""


def _postgres_url():
    psycopg = pytest.importorskip("psycopg")
    name = f"td_audit_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(f"{PG} dbname=postgres", autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({exc})")
    return name, f"postgres://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    import psycopg

    name, url = _postgres_url()
    yield url
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_concurrent_writers_never_fork_a_chain(database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRAINERDESK_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "trainerdesk.settings",
    }
    script = SCRIPT.format(threads=THREADS, each=EACH)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["errors"] == []
    total = THREADS * EACH
    # The existing chain already holds the organization's creation and its owner.
    assert result["existing"]["seqs"] == list(range(1, total + 3))
    assert result["fresh"]["seqs"] == list(range(1, total + 1))
    assert result["existing"]["broken"] is None and result["fresh"]["broken"] is None
