"""Gapless numbering under concurrency: 20 threads, each with its own database
connection, issue 20 drafts of one series at once (and, separately, race to issue the
same drafts twice). The numbers must be 1..20 with no gap and no duplicate, and each
draft issued exactly once.

In-process threads on the suite's database (`transaction=True`, so each thread sees the
committed drafts and commits for real): on PostgreSQL (DATABASE_URL) they queue on the
series row's `select_for_update`. SQLite's test database is in memory, where threads
would share one cache and its table locks rather than the database's write lock, so there
the same race runs in a child process against a SQLite file in WAL mode with
BEGIN IMMEDIATE, as in production (`test_sqlite_file_numbering_is_gapless`).
"""

import json
import os
import subprocess
import sys
import threading

import pytest
from django.db import connection

from trainerdesk.invoicing import services
from trainerdesk.invoicing.models import Invoice, InvoiceSeries
from trainerdesk.invoicing.tests.conftest import make_placement
from trainerdesk.lib.errors import ConflictError

pytestmark = pytest.mark.concurrency
THREADS = 20


def _race(work, count):
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except ConflictError as exc:
            results[i] = exc
        except Exception as exc:  # anything else fails the test with its repr
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results, errors


def _drafts(n, client_company, member, candidate, staff):
    return [
        services.draft_placement_invoice(
            placement=make_placement(client_company, member, candidate), by=staff
        )
        for _ in range(n)
    ]


def _skip_on_memory_sqlite():
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite: see test_sqlite_file_numbering_is_gapless")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issues_are_gapless(client_company, member, candidate, staff):
    _skip_on_memory_sqlite()
    drafts = _drafts(THREADS, client_company, member, candidate, staff)

    results, errors = _race(lambda i: services.issue_invoice(invoice=drafts[i], by=staff), THREADS)

    assert not errors
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, THREADS + 1))
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == THREADS
    assert InvoiceSeries.objects.get().next_number == THREADS + 1


@pytest.mark.django_db(transaction=True)
def test_racing_to_issue_the_same_drafts_issues_each_once(client_company, member, candidate, staff):
    _skip_on_memory_sqlite()
    drafts = _drafts(THREADS // 2, client_company, member, candidate, staff)

    results, errors = _race(
        lambda i: services.issue_invoice(invoice=drafts[i % len(drafts)], by=staff), THREADS
    )

    assert not errors
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(refused) == len(drafts) and all("already issued" in str(r) for r in refused)
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(drafts) + 1))


SCRIPT = """
import json, threading, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
from trainerdesk.accounts.services import create_user
from trainerdesk.invoicing import services
from trainerdesk.invoicing.models import Invoice, InvoiceSeries
from trainerdesk.network.models import Member, Membership, MembershipPlan

staff = create_user(username="staff", password="x", check_password=False)
staff.is_staff = True
staff.save()
plan = MembershipPlan.objects.get(code="standard")
drafts = []
for n in range({threads}):
    user = create_user(username=f"m{{n}}", password="x", check_password=False)
    member = Member.objects.create(user=user, display_name=f"M {{n}}", country="AT",
                                   vat_status="not_registered", status="approved")
    period = Membership.objects.create(member=member, plan=plan, price_cents=17700,
                                       currency="EUR")
    drafts.append(services.draft_membership_invoice(membership=period, by=staff))
barrier = threading.Barrier({threads})
errors = []

def work(i):
    try:
        barrier.wait()
        services.issue_invoice(invoice=drafts[i], by=staff)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=work, args=(i,)) for i in range({threads})]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({{
    "errors": errors,
    "sequences": sorted(Invoice.objects.values_list("sequence", flat=True)),
    "numbers": len(set(Invoice.objects.values_list("number", flat=True))),
    "next": InvoiceSeries.objects.get().next_number,
}}))
"""


def test_sqlite_file_numbering_is_gapless(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "TRAINERDESK_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "trainerdesk.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(threads=THREADS)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    assert out["sequences"] == list(range(1, THREADS + 1))
    assert out["numbers"] == THREADS and out["next"] == THREADS + 1
