"""The workbench JSON API through the HTTP client: scoping, the queue, import and export."""

import re
import uuid

import orjson
import pytest
from django.test import Client

from conftest import TOPIC_SCHEMA
from trainerdesk.accounts.services import create_organization
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, ImportJob, Item, Project

API = "/api/v1"


def _json(client, method, path, body=None):
    return getattr(client, method)(
        path,
        orjson.dumps(body).decode() if body is not None else None,
        content_type="application/json",
    )


# --- projects ---------------------------------------------------------------------------


def test_project_list_is_scoped_and_carries_each_callers_role(
    project, owner, teammate, outsider, client_for
):
    assert [(p["id"], p["role"]) for p in client_for(owner).get(f"{API}/projects").json()] == [
        (project.pk, "manager")
    ]
    assert [p["role"] for p in client_for(teammate).get(f"{API}/projects").json()] == ["annotator"]
    assert client_for(outsider).get(f"{API}/projects").json() == []


def test_project_detail_has_schema_counts_and_guideline_version(project, owner, client_for):
    services.submit_annotation(
        project=project, item=project.items.first(), user=owner, answer={"topic": "business"}
    )

    body = client_for(owner).get(f"{API}/projects/{project.pk}").json()

    assert body["label_schema"]["fields"][0]["name"] == "topic"
    assert body["guideline_version"] == 1
    assert (body["overlap"], body["ordering"]) == (1, "sequential")
    assert body["counts"]["items"] == 3
    assert body["counts"]["complete"] == 1
    assert body["counts"]["mine"] == 1


@pytest.mark.parametrize("by", ["id", "slug"])
def test_create_project_in_an_organization_i_own(org, owner, client_for, by):
    response = _json(
        client_for(owner),
        "post",
        f"{API}/projects",
        {
            "organization": org.pk if by == "id" else org.slug,
            "name": "Sentiment",
            "label_schema": TOPIC_SCHEMA,
            "overlap": 2,
            "ordering": "random",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    project = Project.objects.get(pk=body["id"])
    assert (project.organization, project.overlap, project.ordering) == (org, 2, "random")
    assert body["role"] == "manager"
    assert body["counts"]["items"] == 0


def test_create_project_needs_an_admin_role_and_a_visible_organization(
    org, owner, teammate, outsider, client_for
):
    payload = {"organization": org.slug, "name": "X", "label_schema": TOPIC_SCHEMA}

    # A plain member knows the organization exists, so a 403 that says why is no leak.
    member = _json(client_for(teammate), "post", f"{API}/projects", payload)
    assert member.status_code == 403
    assert "owners and admins" in member.json()["message"]

    stranger = _json(client_for(outsider), "post", f"{API}/projects", payload)
    assert stranger.status_code == 404
    assert stranger.json()["message"] == f"No such organization: {org.slug}"
    assert not Project.objects.filter(name="X").exists()


def test_create_project_with_a_bad_schema_names_the_field(org, owner, client_for):
    bad = {"fields": [{"name": "topic", "type": "choice", "source": "text", "labels": []}]}

    response = _json(
        client_for(owner),
        "post",
        f"{API}/projects",
        {"organization": org.pk, "name": "Broken", "label_schema": bad},
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("label_schema.fields[0].labels:")
    assert not Project.objects.filter(name="Broken").exists()


def test_patch_instructions_starts_a_new_guideline_version(project, owner, client_for):
    client = client_for(owner)

    response = _json(
        client, "patch", f"{API}/projects/{project.pk}", {"instructions": "Pick one. Be quick."}
    )

    assert response.status_code == 200
    assert response.json()["guideline_version"] == 2
    versions = client.get(f"{API}/projects/{project.pk}/guidelines").json()
    assert [(v["version"], v["text"]) for v in versions] == [
        (2, "Pick one. Be quick."),
        (1, "Pick the main topic."),
    ]
    assert versions[0]["created_by"] == "owner"


def test_patch_refuses_null_for_a_setting(project, owner, client_for):
    response = _json(client_for(owner), "patch", f"{API}/projects/{project.pk}", {"name": None})

    assert response.status_code == 400
    assert response.json()["message"] == "name: must not be null"
    project.refresh_from_db()
    assert project.name == "News topics"


def test_schema_put_validates_and_keeps_the_old_schema_on_error(project, owner, client_for):
    client = client_for(owner)
    bad = {"fields": [{"name": "topic", "type": "choice", "source": "text", "labels": []}]}

    refused = _json(client, "put", f"{API}/projects/{project.pk}/schema", bad)

    assert refused.status_code == 400
    assert "label_schema.fields[0].labels: must be a non-empty list" in refused.json()["message"]
    assert client.get(f"{API}/projects/{project.pk}/schema").json() == project.label_schema

    wider = {"fields": [{**TOPIC_SCHEMA["fields"][0], "labels": [{"value": "a"}, {"value": "b"}]}]}
    accepted = _json(client, "put", f"{API}/projects/{project.pk}/schema", wider)
    assert accepted.status_code == 200
    project.refresh_from_db()
    assert [label["value"] for label in project.label_schema["fields"][0]["labels"]] == ["a", "b"]


def test_members_can_be_added_changed_and_removed(project, org, owner, client_for):
    from trainerdesk.accounts.services import add_member, create_user

    newcomer = create_user(username="newcomer", password="x", check_password=False)
    add_member(organization=org, user=newcomer)
    client = client_for(owner)
    url = f"{API}/projects/{project.pk}/members"

    added = _json(client, "put", url, {"username": "newcomer", "role": "reviewer"})
    assert added.status_code == 200
    assert {(m["username"], m["role"]) for m in client.get(url).json()} == {
        ("teammate", "annotator"),
        ("newcomer", "reviewer"),
    }

    assert client.delete(f"{url}/newcomer").status_code == 204
    assert [m["username"] for m in client.get(url).json()] == ["teammate"]
    assert client.delete(f"{url}/newcomer").status_code == 404


@pytest.mark.parametrize("username", ["outsider", "nobody-at-all"])
def test_member_outside_the_organization_is_refused_alike(
    project, owner, outsider, client_for, username
):
    response = _json(
        client_for(owner),
        "put",
        f"{API}/projects/{project.pk}/members",
        {"username": username, "role": "annotator"},
    )

    # Same answer whether the account exists or not, so the endpoint can't probe usernames.
    assert response.status_code == 400
    assert response.json()["message"] == f"user: {username} is not in Acme Labs"


# --- items ------------------------------------------------------------------------------


def test_items_page_by_keyset(project, owner, client_for):
    client = client_for(owner)
    url = f"{API}/projects/{project.pk}/items"

    first = client.get(url, {"limit": 2}).json()
    second = client.get(url, {"limit": 2, "after": first["next_after"]}).json()

    texts = [i["data"]["text"] for i in first["items"] + second["items"]]
    assert texts == ["Shares rose sharply.", "A late goal won it.", "A new chip."]
    assert first["next_after"] == first["items"][-1]["id"]
    assert second["next_after"] is None


def test_annotators_never_see_the_reference_answer(project, owner, teammate, client_for):
    services.add_items(
        project=project,
        items=[{"text": "Gold row.", "reference": {"topic": "tech"}}],
        by=project.created_by,
    )
    gold = project.items.get(data__text="Gold row.")

    for_manager = client_for(owner).get(f"{API}/projects/{project.pk}/items/{gold.pk}").json()
    assert for_manager["reference"] == {"topic": "tech"}

    annotator = client_for(teammate)
    one = annotator.get(f"{API}/projects/{project.pk}/items/{gold.pk}")
    page = annotator.get(f"{API}/projects/{project.pk}/items")
    assert one.json()["data"] == {"text": "Gold row."}
    assert "reference" not in one.json()
    assert all("reference" not in item for item in page.json()["items"])
    assert b"tech" not in page.content


def test_add_items_keeps_valid_rows_and_reports_bad_ones_by_position(project, owner, client_for):
    client = client_for(owner)
    url = f"{API}/projects/{project.pk}/items"
    rows = [{"text": "Fresh one."}, {"title": "no text"}, "not an object", {"text": "A new chip."}]

    response = _json(client, "post", url, rows)

    assert response.status_code == 201
    body = response.json()
    assert (body["added"], body["duplicates"]) == (1, 1)
    assert [e["line"] for e in body["errors"]] == [2, 3]
    assert "data.text" in body["errors"][0]["message"]
    assert project.items.count() == 4

    again = _json(client, "post", url, [{"text": "Fresh one."}])
    assert again.status_code == 200
    assert again.json() == {"added": 0, "duplicates": 1, "errors": []}


def test_add_items_of_only_junk_rows_adds_nothing_and_explains_each(project, owner, client_for):
    response = _json(
        client_for(owner), "post", f"{API}/projects/{project.pk}/items", [None, 1, [], {"text": 5}]
    )

    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [e["line"] for e in errors] == [1, 2, 3, 4]
    # An API item is an item, not a "line" of a file.
    assert errors[0]["message"] == "item must be a JSON object, got null"
    assert errors[3]["message"] == "data.text: must be a string, got int"
    assert project.items.count() == 3


def test_add_items_reports_every_bad_row_of_a_call(project, owner, client_for):
    # A file import keeps only its first 1,000 errors; one call's are all reported.
    response = _json(client_for(owner), "post", f"{API}/projects/{project.pk}/items", [1] * 1500)
    assert response.status_code == 200
    assert [e["line"] for e in response.json()["errors"]] == list(range(1, 1501))


def test_add_items_caps_the_batch_size(project, owner, client_for):
    response = _json(
        client_for(owner),
        "post",
        f"{API}/projects/{project.pk}/items",
        [{"text": f"row {n}"} for n in range(10_001)],
    )

    assert response.status_code == 422
    assert "10000" in response.json()["message"]
    assert project.items.count() == 3


@pytest.mark.parametrize("depth", [300, 100_000])
def test_a_body_nested_too_deep_is_a_400_naming_it(project, owner, client_for, depth):
    # 300 levels used to parse, then fail hashing the item (500); 100,000 hit RecursionError.
    body = '[{"text": "deep", "x": ' + "[" * depth + "]" * depth + "}]"
    response = client_for(owner).post(
        f"{API}/projects/{project.pk}/items", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "request body: nested more than 64 levels deep at byte 86"
    )
    assert project.items.count() == 3


def test_a_deep_body_is_refused_for_its_depth_even_when_it_does_not_parse(
    project, owner, client_for
):
    # The body is parsed before its depth is checked; a deep one that does not parse
    # must still be refused for its depth, at the same byte, as before.
    for body in ("[" * 100 + "x", '[{"text": "a", "x": ' + "[" * 70 + "1}]"):
        response = client_for(owner).post(
            f"{API}/projects/{project.pk}/items", body, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["message"].startswith(
            "request body: nested more than 64 levels deep at byte "
        )
    assert project.items.count() == 3


def test_brackets_and_escapes_inside_strings_do_not_count_as_nesting(project, owner, client_for):
    text = '\\"' + "[{" * 100 + "\\"
    response = _json(client_for(owner), "post", f"{API}/projects/{project.pk}/items",
                     [{"text": text}, {"text": "x", "y": [[[["}"]]]]}])  # fmt: skip
    assert response.status_code == 201, response.content
    assert project.items.filter(data__text=text).exists()


def test_body_over_the_upload_limit_is_a_json_413(project, owner, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = _json(
        client_for(owner), "post", f"{API}/projects/{project.pk}/items", [{"text": "x" * 2000}]
    )

    assert response.status_code == 413
    assert "imports" in response.json()["message"]


def test_item_of_another_project_is_404(project, org, owner, client_for):
    other = services.create_project(
        organization=org, created_by=owner, name="Other", label_schema=TOPIC_SCHEMA
    )
    services.add_items(project=other, items=[{"text": "Elsewhere."}], by=other.created_by)
    foreign = other.items.get()

    response = client_for(owner).get(f"{API}/projects/{project.pk}/items/{foreign.pk}")

    assert response.status_code == 404
    assert response.json()["message"] == "No such item"


# --- imports ----------------------------------------------------------------------------


def _upload(client, project, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"{API}/projects/{project.pk}/imports", {"file": SimpleUploadedFile(name, content)}
    )


def test_import_reports_the_line_of_a_bad_row(
    project, owner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    content = b'{"text": "First new."}\n{"text": broken}\n{"text": "Third new."}\n'

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, project, "batch.jsonl", content)

    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["format"] == "jsonl"
    job = client.get(f"{API}/projects/{project.pk}/imports/{job_id}").json()
    assert job["status"] == "done"
    assert (job["items_added"], job["error_count"]) == (2, 1)
    assert job["errors"][0]["line"] == 2
    assert "invalid JSON" in job["errors"][0]["message"]
    assert [j["id"] for j in client.get(f"{API}/projects/{project.pk}/imports").json()] == [job_id]


def test_import_of_an_unknown_file_type_is_a_400_naming_the_file(project, owner, client_for):
    response = _upload(client_for(owner), project, "notes.txt", b"hello")

    assert response.status_code == 400
    assert "notes.txt" in response.json()["message"]
    assert not ImportJob.objects.exists()


def test_import_without_a_file_says_so(project, owner, client_for):
    response = client_for(owner).post(f"{API}/projects/{project.pk}/imports", {})

    assert response.status_code == 422
    assert "file" in response.json()["message"]


# --- the queue --------------------------------------------------------------------------


def test_next_leases_the_same_item_until_answered(project, teammate, client_for):
    client = client_for(teammate)

    first = client.get(f"{API}/projects/{project.pk}/next").json()
    again = client.get(f"{API}/projects/{project.pk}/next").json()

    assert first["item"]["data"] == {"text": "Shares rose sharply."}
    assert first["lease_expires_at"]
    assert again["item"]["id"] == first["item"]["id"]
    assert "reference" not in first["item"]


def test_submit_is_idempotent_by_client_id(project, teammate, client_for):
    client = client_for(teammate)
    item = client.get(f"{API}/projects/{project.pk}/next").json()["item"]
    submission = {
        "item": item["id"],
        "answer": {"topic": "business"},
        "client_id": str(uuid.uuid4()),
    }

    created = _json(client, "post", f"{API}/projects/{project.pk}/annotations", submission)
    retried = _json(client, "post", f"{API}/projects/{project.pk}/annotations", submission)

    assert created.status_code == 201
    assert retried.status_code == 200
    assert retried.json()["id"] == created.json()["id"]
    assert Annotation.objects.count() == 1
    assert client.get(f"{API}/projects/{project.pk}/next").json()["item"]["id"] != item["id"]


def test_unknown_label_is_a_400_naming_the_field(project, teammate, client_for):
    client = client_for(teammate)
    item = client.get(f"{API}/projects/{project.pk}/next").json()["item"]

    response = _json(
        client,
        "post",
        f"{API}/projects/{project.pk}/annotations",
        {"item": item["id"], "answer": {"topic": "weather"}},
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith('answer.topic: unknown label "weather"')
    assert not Annotation.objects.exists()


def test_missing_answer_names_the_required_field(project, teammate, client_for):
    client = client_for(teammate)
    item = client.get(f"{API}/projects/{project.pk}/next").json()["item"]

    response = _json(
        client, "post", f"{API}/projects/{project.pk}/annotations", {"item": item["id"]}
    )

    assert response.status_code == 400
    assert response.json()["message"] == "answer.topic: required"


def test_reusing_a_client_id_on_another_item_is_a_409(project, teammate, client_for):
    client = client_for(teammate)
    first = services.next_item(project=project, user=teammate)
    second = project.items.exclude(pk=first.pk).first()
    key = str(uuid.uuid4())
    url = f"{API}/projects/{project.pk}/annotations"
    _json(client, "post", url, {"item": first.pk, "answer": {"topic": "sport"}, "client_id": key})

    response = _json(
        client, "post", url, {"item": second.pk, "answer": {"topic": "sport"}, "client_id": key}
    )

    assert response.status_code == 409
    assert key in response.json()["message"]


def test_empty_queue_says_so_with_a_null_item(project, teammate, client_for):
    client = client_for(teammate)
    for _ in range(3):
        item = client.get(f"{API}/projects/{project.pk}/next").json()["item"]
        _json(
            client,
            "post",
            f"{API}/projects/{project.pk}/annotations",
            {"item": item["id"], "skipped": True, "skip_reason": "unsure"},
        )

    response = client.get(f"{API}/projects/{project.pk}/next")

    assert response.status_code == 200
    assert response.json()["item"] is None
    assert response.json()["message"] == "No more items for you in this project."


def test_annotators_list_only_their_own_annotations(project, owner, teammate, client_for):
    first, second = project.items.order_by("id")[:2]
    mine = services.submit_annotation(
        project=project, item=first, user=teammate, answer={"topic": "sport"}
    ).annotation
    theirs = services.submit_annotation(
        project=project, item=second, user=owner, answer={"topic": "tech"}
    ).annotation
    url = f"{API}/projects/{project.pk}/annotations"

    as_annotator = client_for(teammate).get(url).json()["annotations"]
    assert [a["id"] for a in as_annotator] == [mine.pk]
    assert client_for(teammate).get(f"{url}/{theirs.pk}").status_code == 404

    manager = client_for(owner)
    assert [a["id"] for a in manager.get(url).json()["annotations"]] == [mine.pk, theirs.pk]
    only_second = manager.get(url, {"item": second.pk}).json()["annotations"]
    assert [(a["annotator"], a["answer"]) for a in only_second] == [("owner", {"topic": "tech"})]

    project.annotators_see_others = True
    project.save()
    assert len(client_for(teammate).get(url).json()["annotations"]) == 2


# --- export -----------------------------------------------------------------------------


def test_export_jsonl_round_trips_into_a_new_project(project, org, owner, teammate, client_for):
    item = project.items.order_by("id").first()
    services.submit_annotation(
        project=project, item=item, user=teammate, answer={"topic": "business"}
    )
    client = client_for(owner)

    response = client.get(f"{API}/projects/{project.pk}/export", {"format": "jsonl"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert re.fullmatch(
        r'attachment; filename="news-topics-\d{4}-\d{2}-\d{2}\.jsonl"',
        response["Content-Disposition"],
    )
    lines = [orjson.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [line["data"] for line in lines] == [i.data for i in project.items.order_by("id")]
    assert lines[0]["final"] == {"topic": "business"}

    copy = services.create_project(
        organization=org, created_by=owner, name="Copy", label_schema=project.label_schema
    )
    imported = _json(client, "post", f"{API}/projects/{copy.pk}/items", lines)
    assert imported.json() == {"added": 3, "duplicates": 0, "errors": []}
    again = client.get(f"{API}/projects/{copy.pk}/export", {"format": "jsonl"})
    relines = [orjson.loads(line) for line in b"".join(again.streaming_content).splitlines()]
    assert [(r["data"], r.get("final")) for r in relines] == [
        (r["data"], r.get("final")) for r in lines
    ]


def test_export_rejects_an_unknown_format_before_streaming(project, owner, client_for):
    response = client_for(owner).get(f"{API}/projects/{project.pk}/export", {"format": "xlsx"})

    assert response.status_code == 400
    assert response.json()["message"].startswith("format: 'xlsx' is not one of jsonl")


def test_conll_export_needs_a_spans_field(project, owner, client_for):
    response = client_for(owner).get(f"{API}/projects/{project.pk}/export", {"format": "conll"})

    assert response.status_code == 400
    assert "spans" in response.json()["message"]


def test_export_csv_only_labeled(project, owner, client_for):
    item = project.items.order_by("id").last()
    services.submit_annotation(project=project, item=item, user=owner, answer={"topic": "tech"})

    response = client_for(owner).get(
        f"{API}/projects/{project.pk}/export", {"format": "csv", "only_labeled": "true"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert "A new chip." in text
    assert "Shares rose" not in text


# --- garbage in, clear 4xx out ----------------------------------------------------------

HUGE = "9" * 30
GARBAGE = [
    ("get", "/projects/abc", None),
    ("get", f"/projects/{HUGE}", None),
    ("get", "/projects/-1", None),
    ("get", "/projects/9223372036854775807", None),
    ("get", "/projects/{p}/items?limit=100000000", None),
    ("get", "/projects/{p}/items?limit=0", None),
    ("get", "/projects/{p}/items?after=x", None),
    ("get", f"/projects/{{p}}/items?after={HUGE}", None),
    ("get", f"/projects/{{p}}/items/{HUGE}", None),
    ("get", "/projects/{p}/items/1.5", None),
    ("get", f"/projects/{{p}}/annotations?item={HUGE}", None),
    ("get", "/projects/{p}/annotations?limit=-5", None),
    ("get", "/projects/{p}/annotations/abc", None),
    ("get", f"/projects/{{p}}/imports/{HUGE}", None),
    ("get", "/projects/{p}/export?only_labeled=maybe", None),
    ("get", "/projects/{p}/export?format=", None),
    ("post", "/projects", "{not json"),
    ("post", "/projects", []),
    ("post", "/projects", {"organization": None, "name": 5, "label_schema": "x"}),
    ("post", "/projects", f'{{"organization": {HUGE}, "name": "n", "label_schema": {{}}}}'),
    ("post", "/projects", {"organization": "{o}", "name": "n", "label_schema": {"fields": 3}}),
    (
        "post",
        "/projects",
        {"organization": "{o}", "name": "n", "label_schema": {}, "overlap": 10**9},
    ),
    ("post", "/projects", {"organization": "{o}", "name": "x" * 500, "label_schema": {}}),
    ("patch", "/projects/{p}", {"overlap": "many"}),
    ("patch", "/projects/{p}", {"overlap": 0}),
    ("patch", "/projects/{p}", {"ordering": "alphabetical"}),
    ("patch", "/projects/{p}", {"label_schema": {"fields": [{"type": "nope"}]}}),
    ("patch", "/projects/{p}", "[1, 2"),
    ("put", "/projects/{p}/schema", "null"),
    ("put", "/projects/{p}/schema", [1, 2]),
    ("put", "/projects/{p}/schema", {"fields": "topic"}),
    ("put", "/projects/{p}/members", {"username": "teammate", "role": "king"}),
    ("put", "/projects/{p}/members", {"username": ["x"]}),
    ("delete", "/projects/{p}/members/nobody", None),
    ("post", "/projects/{p}/items", {"text": "not a list"}),
    ("post", "/projects/{p}/items", "\xff\xfe"),
    ("post", "/projects/{p}/annotations", {"item": "one", "answer": {"topic": "sport"}}),
    ("post", "/projects/{p}/annotations", f'{{"item": {HUGE}, "answer": {{"topic": "sport"}}}}'),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "answer": "sport"}),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "answer": {"topic": 7}}),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "answer": {"x": 1}, "client_id": "nope"}),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "answer": {}, "lead_time": -3}),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "answer": {}, "lead_time": "1e999"}),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "skipped": "sometimes"}),
    ("post", "/projects/{p}/imports", {"file": "not a file"}),
    ("post", "/tokens", {"name": ""}),
    ("post", "/tokens", {"nam": "typo"}),
    ("delete", "/tokens/abc", None),
    ("delete", f"/tokens/{HUGE}", None),
    ("delete", "/tokens/12345", None),
]


@pytest.mark.parametrize(("method", "path", "body"), GARBAGE)
def test_garbage_gets_a_clear_4xx_never_a_500(project, org, owner, client_for, method, path, body):
    client = client_for(owner)
    client.raise_request_exception = True
    ids = {"p": project.pk, "i": project.items.first().pk, "o": org.pk}
    url = API + path.format(**ids)
    if isinstance(body, dict):
        body = {
            k: (ids["i"] if v == "{i}" else org.pk if v == "{o}" else v) for k, v in body.items()
        }
    if method == "post" and path.endswith("/imports"):
        response = client.post(url, body)
    elif isinstance(body, str):
        response = getattr(client, method)(url, body, content_type="application/json")
    else:
        response = _json(client, method, url, body)

    assert 400 <= response.status_code < 500, response.content
    assert response.json()["message"]
    assert Item.objects.filter(project=project).count() == 3


def test_bad_json_names_the_problem(project, owner, client_for):
    response = client_for(owner).patch(
        f"{API}/projects/{project.pk}", "{oops", content_type="application/json"
    )

    assert response.status_code == 400
    assert "parse" in response.json()["message"]


def test_outsider_cannot_create_a_project_in_their_own_org_by_guessing_ours(
    project, outsider, client_for
):
    # Their own org works; it is only other people's orgs that are invisible.
    own = create_organization(name="Side Project", owner=outsider)
    response = _json(
        client_for(outsider),
        "post",
        f"{API}/projects",
        {"organization": own.slug, "name": "Mine", "label_schema": TOPIC_SCHEMA},
    )

    assert response.status_code == 201
    assert Project.objects.get(name="Mine").organization == own


# --- documentation ----------------------------------------------------------------------


def test_openapi_schema_documents_the_endpoints(db):
    response = Client().get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/projects/{project_id}/annotations" in schema["paths"]
    assert schema["components"]["schemas"]["AnnotationIn"]["properties"]["client_id"]["description"]


def test_docs_page_loads_nothing_from_the_internet(db):
    response = Client().get(f"{API}/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    external = re.findall(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", html)
    assert external == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_not_stored_as_null(project, owner, client_for, constant):
    # Python's json reads them and orjson wrote them back as null: {"x": Infinity} was
    # stored as {"x": null}, with a 201.
    before = project.items.count()
    response = client_for(owner).post(
        f"{API}/projects/{project.pk}/items",
        f'[{{"text": "fine"}}, {{"text": "ok", "x": {constant}}}]',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert f"{constant} is not a JSON value" in response.json()["message"]
    assert project.items.count() == before
