"""What `trainerdesk serve`'s processes load: the background worker leaves the web stack out,
and gunicorn loads the app once in its master for the web workers to share
(docs/benchmarks.md, "Server memory: preloaded gunicorn, a worker without the web stack")."""

import gc
import subprocess
import sys

import orjson
import pytest
from django.db import connections

from trainerdesk import gunicorn_conf
from trainerdesk.workbench.tests.test_cli import ROOT, cli, cli_env

# Loaded by the URL conf and the API (or by pages only some requests open), never needed
# to run a queued task.
WEB_ONLY = (
    "ninja",
    "pydantic",
    "trainerdesk.urls",
    "trainerdesk.api",
    "trainerdesk.workbench.views",
    "markdown_it",
    "PIL._imaging",  # Pillow's C core, behind PIL.Image
)

WORKER_MODULES = """
import atexit, sys
import orjson
import pytest
from trainerdesk.cli import main
atexit.register(lambda: sys.stderr.write("MODULES " + orjson.dumps(sorted(sys.modules)).decode()))
main(["worker", "--batch", "--no-startup-delay"])
"""


@pytest.mark.process
def test_the_background_worker_imports_neither_the_api_nor_the_url_conf(tmp_path):
    assert cli(tmp_path, "migrate").returncode == 0
    done = subprocess.run(
        [sys.executable, "-c", WORKER_MODULES],
        cwd=ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(orjson.loads(done.stderr.rsplit("MODULES ", 1)[1]))
    assert "trainerdesk.workbench.services" in loaded  # it did set up and run
    assert [name for name in WEB_ONLY if name in loaded] == []


def test_gunicorn_preloads_the_app_with_trainerdesks_worker_class():
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config=python:trainerdesk.gunicorn_conf"]
        + ["--print-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    pairs = (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    config = {name.strip(): value.strip() for name, value in pairs}
    assert config["preload_app"] == "True"
    assert config["wsgi_app"] == "trainerdesk.wsgi:application"
    assert config["worker_class"] == "trainerdesk.gunicorn_worker.DrainingThreadWorker"


def test_the_master_loads_the_pages_closes_its_connections_and_freezes_before_forking(
    db, monkeypatch
):
    closed = []
    # The test database is never really closed (in-memory, in a transaction): record the call.
    monkeypatch.setattr(connections, "close_all", lambda: closed.append(True))
    try:
        gunicorn_conf.when_ready(None)
        assert closed == [True]  # no socket or file handle shared by the workers
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()  # on again, in the master and so in every worker
        assert "trainerdesk.urls" in sys.modules
    finally:
        gc.unfreeze()


def test_the_api_docs_assets_are_served_without_ninja_as_an_app(client):
    page = client.get("/api/v1/docs").content.decode()
    for asset in ("ninja/swagger-ui.css", "ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js"):
        assert f"/static/{asset}" in page
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
