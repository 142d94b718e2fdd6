"""Label-error runs through the service (inline tasks), the page, the API, permissions,
and one browser test."""

import pytest

from trainerdesk.quality import services as quality
from trainerdesk.quality.models import LabelErrorFinding, LabelErrorRun
from trainerdesk.quality.tests.test_label_errors import CLASSES, synthetic
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item


def _labelled(project, n=150, flip=0.06):
    """n items whose final labels are `synthetic`'s noisy ones; returns the flipped texts."""
    texts, noisy, _truth, flipped = synthetic(n=n, flip=flip)
    rows = [
        {
            "data": {"text": text},
            "annotations": [{"answer": {"topic": CLASSES[label]}, "annotator": "imported"}],
        }
        for text, label in zip(texts, noisy, strict=True)
    ]
    result = services.add_items(project=project, items=rows, by=project.created_by)
    assert result.added == n, result.errors
    return {texts[i] for i in flipped}


@pytest.fixture
def labelled(project):
    project.flipped_texts = _labelled(project)
    return project


def _run(project, owner, captured, **kwargs):
    with captured(execute=True):
        run = quality.start_label_error_run(project=project, by=owner, **kwargs)
    run.refresh_from_db()
    return run


def test_run_through_the_service_finds_the_flipped_items(
    labelled, owner, teammate, django_capture_on_commit_callbacks
):
    # Majority vote over non-skipped answers: a second, agreeing answer changes nothing;
    # an item whose only annotation is a skip has no label and is left out.
    labelled.overlap = 2
    labelled.save(update_fields=["overlap"])
    item = Item.objects.filter(project=labelled, done_count=1).order_by("id").first()
    topic = item.annotations.get().answer["topic"]
    services.submit_annotation(project=labelled, item=item, user=teammate, answer={"topic": topic})
    unlabelled = Item.objects.filter(project=labelled, done_count=0).order_by("id").first()
    services.submit_annotation(project=labelled, item=unlabelled, user=teammate, skipped=True)
    run = _run(labelled, owner, django_capture_on_commit_callbacks)
    assert run.status == LabelErrorRun.Status.DONE, run.message
    assert run.progress == 1.0 and run.folds_used == 5
    # 150 labelled items plus the fixture's 3 unlabelled ones.
    assert (run.items_considered, run.items_left_out) == (150, 3)
    assert run.parameters == {"folds": 5, "model": "sgd", "seed": 0}
    assert run.classes == CLASSES and len(run.items_digest) == 64
    assert run.labels_as_of is not None and run.finished_at >= run.started_at
    findings = list(run.findings.select_related("item").order_by("rank"))
    assert run.issues_found == len(findings) > 0
    flipped = labelled.flipped_texts
    top = [f.item.data["text"] for f in findings[: len(flipped)]]
    assert len(flipped.intersection(top)) / len(flipped) >= 0.7
    first = findings[0]
    assert first.given_label in CLASSES and first.likely_label in CLASSES
    assert first.given_label != first.likely_label
    assert first.status == LabelErrorFinding.Status.OPEN

    # Same labels, same seed: the same input digest and the same findings.
    again = _run(labelled, owner, django_capture_on_commit_callbacks)
    assert again.items_digest == run.items_digest
    assert [f.item_id for f in again.findings.order_by("rank")] == [f.item_id for f in findings]


def test_a_run_that_raises_is_failed_with_its_message_and_no_findings(
    labelled, owner, monkeypatch, django_capture_on_commit_callbacks
):
    from trainerdesk.quality import label_errors

    def explode(*args, **kwargs):
        kwargs["on_progress"](1, 5)
        raise MemoryError("out of memory in fold 1")

    monkeypatch.setattr(label_errors, "find_label_errors", explode)
    run = _run(labelled, owner, django_capture_on_commit_callbacks)
    assert run.status == LabelErrorRun.Status.FAILED
    assert "MemoryError: out of memory in fold 1" in run.message
    assert run.finished_at is not None
    assert not LabelErrorFinding.objects.filter(run=run).exists()
    # A failed run does not block the next one.
    monkeypatch.undo()
    assert _run(labelled, owner, django_capture_on_commit_callbacks).status == "done"


def test_not_enough_data_fails_with_a_clear_message(
    project, owner, django_capture_on_commit_callbacks
):
    run = _run(project, owner, django_capture_on_commit_callbacks)
    assert run.status == "failed"
    assert run.message == "No labelled items: label some items first"
    services.add_items(
        project=project,
        items=[
            {"data": {"text": f"t{i}"}, "annotations": [{"answer": {"topic": "sport"}}]}
            for i in range(4)
        ]  # fmt: skip
        + [{"data": {"text": "one"}, "annotations": [{"answer": {"topic": "tech"}}]}],
        by=project.created_by,
    )
    run = _run(project, owner, django_capture_on_commit_callbacks)
    assert run.status == "failed"
    assert 'The label "tech" has only 1 labelled item' in run.message


def test_unsupported_schema_and_bad_parameters_are_refused(org, owner):
    from trainerdesk.workbench.services import InvalidInput

    project = services.create_project(
        organization=org,
        created_by=owner,
        name="Entities",
        label_schema={
            "fields": [
                {"name": "ents", "type": "spans", "source": "text", "labels": [{"value": "PER"}]}
            ]
        },
    )
    with pytest.raises(InvalidInput, match="needs a single-choice field on text"):
        quality.start_label_error_run(project=project, by=owner)
    assert not LabelErrorRun.objects.exists()


def test_bad_parameters_and_a_second_active_run(project, owner):
    from trainerdesk.workbench.services import ConflictError, InvalidInput

    with pytest.raises(InvalidInput, match="folds: must be between 2 and 10"):
        quality.start_label_error_run(project=project, by=owner, folds=1)
    with pytest.raises(InvalidInput, match="'nope' is not a single-choice text field"):
        quality.start_label_error_run(project=project, by=owner, field_name="nope")
    quality.start_label_error_run(project=project, by=owner)  # queued: its task never runs here
    with pytest.raises(ConflictError, match="already queued or running"):
        quality.start_label_error_run(project=project, by=owner)


@pytest.fixture
def done_run(labelled, owner, django_capture_on_commit_callbacks):
    run = _run(labelled, owner, django_capture_on_commit_callbacks)
    assert run.status == "done"
    return run


def test_page_shows_the_review_queue_and_decisions_record(done_run, labelled, owner, client_for):
    client = client_for(owner)
    url = f"/projects/{labelled.pk}/label-errors/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    first = done_run.findings.order_by("rank").first()
    assert f'id="finding-{first.pk}"' in body
    assert f"/projects/{labelled.pk}/items/{first.item_id}/" in body
    assert first.item.data["text"][:40] in body
    assert "Find label errors" in body  # managers may start runs

    # htmx: the row comes back alone with the verdict.
    decide = f"/projects/{labelled.pk}/label-errors/findings/{first.pk}/decide/"
    response = client.post(
        decide,
        {"decision": "confirmed_error", "corrected_label": first.likely_label},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<tr id="finding-{first.pk}"')
    first.refresh_from_db()
    assert (first.status, first.corrected_label) == ("confirmed_error", first.likely_label)
    assert first.decided_by == owner and first.decided_at is not None
    assert list(LabelErrorFinding.objects.corrections()) == [first]

    # Plain form: redirect back; a bad corrected label is refused and nothing changes.
    response = client.post(decide, {"decision": "not_an_error", "next": url + "?status=open"})
    assert response.status_code == 302 and response["Location"] == url + "?status=open"
    first.refresh_from_db()
    assert (first.status, first.corrected_label) == ("not_an_error", "")
    response = client.post(
        decide,
        {"decision": "confirmed_error", "corrected_label": "weather"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "is not a label of topic" in response.content.decode()
    first.refresh_from_db()
    assert first.status == "not_an_error"
    # The "Open" filter leaves decided findings out.
    assert f'id="finding-{first.pk}"' not in client.get(url + "?status=open").content.decode()


def test_start_from_the_page_and_poll_the_run(
    labelled, owner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    url = f"/projects/{labelled.pk}/label-errors/"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"field": "topic"})
    run = LabelErrorRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{url}?run={run.pk}"
    assert run.status == "queued"
    status_url = f"/projects/{labelled.pk}/label-errors/runs/{run.pk}/"
    polled = client.get(status_url + "?was=queued", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and 'hx-trigger="every 1s"' in polled.content.decode()
    quality.run_label_errors(run_id=run.pk)
    polled = client.get(status_url + "?was=running", headers={"HX-Request": "true"})
    # Finished while the page watched: htmx is told to load the page with the findings.
    assert polled["HX-Redirect"] == f"{url}?run={run.pk}"
    assert "every 1s" not in polled.content.decode()
    assert client.get(status_url).status_code == 302  # plain request: the page


def test_permissions(done_run, labelled, owner, teammate, outsider, client_for):
    first = done_run.findings.order_by("rank").first()
    base = f"/projects/{labelled.pk}/label-errors/"
    decide = f"{base}findings/{first.pk}/decide/"
    status_url = f"{base}runs/{done_run.pk}/"
    api = f"/api/v1/projects/{labelled.pk}/label-errors"
    for user in (outsider, teammate):  # teammate is an annotator here
        client = client_for(user)
        assert client.get(base).status_code == 404
        assert client.post(base, {"field": "topic"}).status_code == 404
        assert client.get(status_url).status_code == 404
        assert client.post(decide, {"decision": "not_an_error"}).status_code == 404
        assert client.get(f"{api}/runs").status_code == 404
        assert client.post(f"{api}/runs", {}, content_type="application/json").status_code == 404
        response = client.post(
            f"{api}/findings/{first.pk}/decision",
            {"decision": "not_an_error"},
            content_type="application/json",
        )
        assert response.status_code == 404
    first.refresh_from_db()
    assert first.status == "open" and LabelErrorRun.objects.count() == 1

    # A reviewer sees and decides but cannot start a run.
    services.set_project_member(project=labelled, user=teammate, role="reviewer", by=owner)
    client = client_for(teammate)
    page = client.get(base)
    assert page.status_code == 200 and "Find label errors" not in page.content.decode()
    assert client.post(base, {"field": "topic"}).status_code == 404
    assert client.post(f"{api}/runs", {}, content_type="application/json").status_code == 404
    assert client.post(decide, {"decision": "not_an_error"}).status_code == 302
    # A run or finding of another project is a 404 even for its manager.
    other = services.create_project(
        organization=labelled.organization,
        created_by=owner,
        name="Other",
        label_schema=labelled.label_schema,
    )
    client = client_for(owner)
    assert client.get(f"/projects/{other.pk}/label-errors/?run={done_run.pk}").status_code == 404
    assert (
        client.post(
            f"/projects/{other.pk}/label-errors/findings/{first.pk}/decide/",
            {"decision": "open"},
        ).status_code
        == 404
    )


def test_api_start_status_findings_decide(
    labelled, owner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    api = f"/api/v1/projects/{labelled.pk}/label-errors"
    response = client.post(f"{api}/runs", {"folds": 20}, content_type="application/json")
    assert (
        response.status_code == 400
        and "folds: must be between 2 and 10" in response.json()["message"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{api}/runs", {"field": "topic", "seed": 3}, content_type="application/json"
        )
    assert response.status_code == 202
    run_id = response.json()["id"]
    run = client.get(f"{api}/runs/{run_id}").json()
    assert run["status"] == "done" and run["parameters"]["seed"] == 3
    assert run["items_considered"] == 150 and run["label_source"] == "majority"
    assert [r["id"] for r in client.get(f"{api}/runs").json()] == [run_id]

    page = client.get(f"{api}/runs/{run_id}/findings?limit=2").json()
    assert [f["rank"] for f in page["findings"]] == [1, 2] and page["next_after_rank"] == 2
    rest = client.get(f"{api}/runs/{run_id}/findings?after_rank=2&limit=1000").json()
    assert len(rest["findings"]) == run["issues_found"] - 2 and rest["next_after_rank"] is None
    finding = page["findings"][0]
    decided = client.post(
        f"{api}/findings/{finding['id']}/decision",
        {"decision": "confirmed_error", "corrected_label": finding["likely_label"]},
        content_type="application/json",
    ).json()
    assert decided["status"] == "confirmed_error" and decided["decided_by"] == "owner"
    confirmed = client.get(f"{api}/runs/{run_id}/findings?status=confirmed_error").json()
    assert [f["id"] for f in confirmed["findings"]] == [finding["id"]]
    response = client.post(
        f"{api}/findings/{finding['id']}/decision",
        {"decision": "not_an_error", "corrected_label": "sport"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "only a confirmed error takes a corrected label" in response.json()["message"]
    assert client.get(f"{api}/runs/999999").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_start_a_run_and_confirm_a_finding(live_server, browser_page, project, owner):
    from conftest import PASSWORD

    _labelled(project, n=90, flip=0.1)
    page, errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.click("text=Label errors")
    page.click("button:has-text('Find label errors')")
    first = page.locator("#findings tbody tr").first
    first.wait_for()
    first.locator("button:has-text('Confirm error')").click()
    page.wait_for_selector("#findings tbody tr[data-status='confirmed_error']")
    finding = LabelErrorFinding.objects.get(status="confirmed_error")
    assert finding.rank == 1 and finding.decided_by == owner
    assert finding.corrected_label == finding.likely_label
    assert (
        page.locator(f"#finding-{finding.pk} .verdict").inner_text().startswith("Confirmed error")
    )
    assert errors == []
