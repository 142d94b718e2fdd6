"""Concurrent postings of one event (a retried webhook, two workers racing): exactly one
transaction, and every caller gets it back. 6 threads, each with its own connection, in
a child process against a SQLite file (WAL, BEGIN IMMEDIATE) and a fresh PostgreSQL
database (the unique source_key, then re-read), like accounts/test_audit_concurrency.py;
and the daily sweep command."""

import io
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.core.management import call_command

from trainerdesk.billing import services
from trainerdesk.lib import audit

PG = "host=127.0.0.1 port=5432 user=postgres"
THREADS = 6

SCRIPT = """
import json, threading, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
from trainerdesk.billing import services
from trainerdesk.billing.models import LedgerTransaction, Leg
from trainerdesk.lib import audit

with audit.acting_as("race"):
    cash = services.account_for("cash", currency="EUR")
    rev = services.account_for("platform_revenue", currency="EUR")
barrier = threading.Barrier({threads})
results, errors = [], []

def work():
    try:
        barrier.wait()
        with audit.acting_as("race"):
            for key in ("webhook:1", "webhook:2"):
                txn = services.post_transaction(
                    kind="pay", legs=[(cash, 700), (rev, -700)], source_key=key, by=None)
                results.append([key, txn.pk])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=work) for _ in range({threads})]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({{
    "errors": errors, "results": results,
    "transactions": LedgerTransaction.objects.count(), "legs": Leg.objects.count(),
    "cash": services.balance(cash),
}}))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    psycopg = pytest.importorskip("psycopg")
    name = f"td_ledger_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(f"{PG} dbname=postgres", autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({exc})")
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.concurrency
def test_parallel_posts_of_one_source_key_post_once(database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRAINERDESK_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "trainerdesk.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(threads=THREADS)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    per_key = {}
    for key, pk in result["results"]:
        per_key.setdefault(key, set()).add(pk)
    assert len(result["results"]) == 2 * THREADS
    assert {k: len(v) for k, v in per_key.items()} == {"webhook:1": 1, "webhook:2": 1}
    assert (result["transactions"], result["legs"], result["cash"]) == (2, 4, 1400)


@pytest.mark.django_db
def test_sweep_command(placement):
    services.open_commission(placement=placement, by=None)
    out = io.StringIO()
    with audit.acting_as("cli:sweep_commissions"):
        call_command("sweep_commissions", "--today", "2099-01-01", stdout=out)
    assert "0 commissions became payable" in out.getvalue()
