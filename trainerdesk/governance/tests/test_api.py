"""The dataset-version API by persona, and the CLI command."""

import pytest

from trainerdesk.governance.models import DatasetVersion


def _create(client, project, name="v1"):
    return client.post(f"/api/v1/projects/{project.pk}/versions", {"name": name},
                       "application/json")  # fmt: skip


def test_owner_creates_reads_diffs_and_exports(
    labelled, owner, client_for, django_capture_on_commit_callbacks
):
    c = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        r = _create(c, labelled)
    assert r.status_code == 202, r.content
    v1 = r.json()["id"]
    got = c.get(f"/api/v1/projects/{labelled.pk}/versions/{v1}").json()
    assert got["status"] == "done" and got["record_count"] == 2 and len(got["version_id"]) == 64
    assert _create(c, labelled).status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        v2 = _create(c, labelled, "v2").json()["id"]
    d = c.get(f"/api/v1/projects/{labelled.pk}/versions/diff", {"old": v1, "new": v2}).json()
    assert d["unchanged"] == 2 and d["relabelled"] == 0
    url = f"/api/v1/projects/{labelled.pk}/versions/{v1}/export"
    a, b = c.get(url), c.get(url)
    assert a.status_code == 200 and a.content == b.content
    assert c.get(url, {"checksum": "true"}).content.decode().startswith(a["X-Content-SHA256"])
    p = c.patch(f"/api/v1/projects/{labelled.pk}/versions/{v1}", {"notes": "n"},
                "application/json")  # fmt: skip
    assert p.json()["notes"] == "n"


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_others_get_404(request, persona, labelled, owner, client_for):
    from trainerdesk.governance import services

    v = services.create_version(project=labelled, name="v1", by=owner)
    c = client_for(request.getfixturevalue(persona))
    base = f"/api/v1/projects/{labelled.pk}/versions"
    assert _create(c, labelled, "x").status_code == 404
    assert c.get(base).status_code == 404
    assert c.get(f"{base}/{v.pk}").status_code == 404
    assert c.get(f"{base}/{v.pk}/export").status_code == 404
    assert c.get(f"{base}/diff", {"old": v.pk, "new": v.pk}).status_code == 404
    assert c.patch(f"{base}/{v.pk}", {"notes": "x"}, "application/json").status_code == 404
    assert not DatasetVersion.objects.filter(name="x").exists()


def test_cli_create_now_list_diff_export(labelled, tmp_path, capsys):
    import hashlib
    import subprocess

    from django.core.management import call_command

    def main(args):
        # call_command, not cli.main: a command run from argv closes the database
        # connections afterwards, which ends the test's transaction on PostgreSQL.
        call_command("dataset_version", *args[1:])

    main(["version", "create", str(labelled.pk), "--name", "v3", "--tag", "r", "--now"])
    out = capsys.readouterr().out
    v = DatasetVersion.objects.get(project=labelled, name="v3")
    assert v.status == "done" and out.startswith(v.version_id)
    main(["version", "list", labelled.name])
    assert "v3\tdone\t2\t" in capsys.readouterr().out
    main(["version", "diff", str(labelled.pk), "v3", "v3"])
    assert '"unchanged": 2' in capsys.readouterr().out
    target = tmp_path / "v3.jsonl"
    main(["version", "export", str(labelled.pk), "v3", "-o", str(target)])
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert (tmp_path / "v3.jsonl.sha256").read_text() == f"{digest}  v3.jsonl\n"
    check = subprocess.run(["sha256sum", "-c", "v3.jsonl.sha256"], cwd=tmp_path, check=False)
    assert check.returncode == 0


def test_cli_maps_version_to_the_command(monkeypatch):
    import django.core.management as management

    from trainerdesk import cli

    seen = []
    monkeypatch.setattr(management, "execute_from_command_line", seen.append)
    cli.main(["version", "list", "P"])
    assert seen == [["trainerdesk", "dataset_version", "list", "P"]]
