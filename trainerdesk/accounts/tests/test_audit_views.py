"""The audit page, its exports and `GET /api/v1/audit/events`: owners and admins of the
organization only (everyone else 404), filters, keyset pages."""

import html
import json
import re

import pytest
from django.db import transaction

from trainerdesk.accounts.services import add_member
from trainerdesk.lib import audit


@pytest.fixture
def many(org, owner):
    """Acme's chain plus 120 role changes by the owner in project 7."""
    with transaction.atomic():
        for i in range(120):
            audit.record(
                action="workbench.projectmember.update",
                organization=org,
                project=7,
                object_type="workbench.projectmember",
                object_id=i,
                changes={"role": {"before": "annotator", "after": "reviewer"}},
                by=owner,
            )
    return org


def test_owner_sees_the_page_with_events(many, owner, client_for):
    response = client_for(owner).get(f"/org/{many.pk}/audit/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "workbench.projectmember.update" in body and "annotator → reviewer" in body
    assert body.count("<tr>") == 51  # header + a page of 50
    assert "before=" in body


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_members_and_outsiders_get_404(many, persona, request, client_for):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(f"/org/{many.pk}/audit/").status_code == 404
    assert client.get(f"/org/{many.pk}/audit/export.csv").status_code == 404
    assert client.get(f"/api/v1/audit/events?org={many.pk}").status_code == 404
    assert client.get("/org/99999999/audit/").status_code == 404


def test_admin_sees_it_and_the_index_redirects(many, teammate, owner, client_for):
    add_member(organization=many, user=teammate, role="admin", by=owner)
    client = client_for(teammate)

    assert client.get("/audit/").url == f"/org/{many.pk}/audit/"
    assert client.get(f"/org/{many.pk}/audit/").status_code == 200


def test_keyset_pages_walk_every_event_once(many, owner, client_for):
    client = client_for(owner)
    base = f"/org/{many.pk}/audit/"
    seqs, query = [], "actor=owner&action=workbench.projectmember.update"
    while query is not None:
        body = client.get(f"{base}?{query}").content.decode()
        seqs += [int(s) for s in re.findall(r"</time></td>\s*<td>(\d+)</td>", body)]
        found = re.search(r'href="\?([^"]+)" rel="next"', body)
        query = html.unescape(found.group(1)) if found else None

    assert len(seqs) == 120 and seqs == sorted(set(seqs), reverse=True)


def test_filters_narrow_and_a_bad_filter_says_which(many, owner, client_for):
    client = client_for(owner)

    none = client.get(f"/org/{many.pk}/audit/?project=8").content.decode()
    bad = client.get(f"/org/{many.pk}/audit/?action=nope.nope.nope")
    assert "No events match" in none
    assert bad.status_code == 400 and "action: &#x27;nope.nope.nope&#x27;" in bad.content.decode()


def test_csv_and_jsonl_exports_stream_every_filtered_event(many, owner, client_for):
    client = client_for(owner)

    csv_response = client.get(f"/org/{many.pk}/audit/export.csv?project=7")
    jsonl = client.get(f"/org/{many.pk}/audit/export.jsonl?action=accounts.organization.create")

    assert csv_response.streaming and jsonl.streaming
    lines = b"".join(csv_response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,seq,created_at,action")
    assert len(lines) == 121
    rows = [json.loads(x) for x in b"".join(jsonl.streaming_content).splitlines()]
    assert [r["action"] for r in rows] == ["accounts.organization.create"]
    assert rows[0]["actor"] == "owner" and len(rows[0]["hash"]) == 64


def test_api_pages_oldest_first_with_after(many, owner, client_for):
    client = client_for(owner)
    events, after = [], 0
    while after is not None:
        body = client.get(f"/api/v1/audit/events?org={many.pk}&project=7&after={after}&limit=50")
        assert body.status_code == 200
        events += body.json()["events"]
        after = body.json()["next_after"]

    assert len(events) == 120
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[0]["changes"] == {"role": {"before": "annotator", "after": "reviewer"}}


def test_api_defaults_to_your_organizations_and_names_bad_filters(many, owner, client_for):
    client = client_for(owner)

    listed = client.get("/api/v1/audit/events?action=accounts.membership.create").json()
    bad = client.get("/api/v1/audit/events?since=yesterday")

    assert {e["organization_id"] for e in listed["events"]} == {many.pk}
    assert bad.status_code == 400 and bad.json()["message"].startswith("since:")


def test_api_needs_authentication(many, client):
    assert client.get("/api/v1/audit/events").status_code == 401


def test_openapi_documents_the_errors(client):
    op = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/audit/events"]["get"]
    assert {"200", "400", "401", "404", "422"} <= set(op["responses"])


def test_a_jsonl_export_verifies_away_from_the_server(many, owner, client_for):
    from datetime import datetime

    response = client_for(owner).get(f"/org/{many.pk}/audit/export.jsonl")
    rows = [json.loads(x) for x in b"".join(response.streaming_content).splitlines()]

    prev = audit.GENESIS_HASH
    for row in rows:
        row["created_at"] = datetime.fromisoformat(row["created_at"])
        line = audit.canonical_line(audit.event_fields(f"org:{many.pk}", row))
        assert row["prev_hash"] == prev and audit.chain_hash(prev, line) == row["hash"]
        prev = row["hash"]
    assert len(rows) == 3 + 120  # organization, owner, teammate, then the fixture's
