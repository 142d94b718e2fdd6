"""What every web process loads: the URL conf and the API import no NumPy (matching,
the quality metrics and reports load it on first use, lib/lazy.py). Loading it eagerly
put ~12 MB into gunicorn's master and each worker (docs/benchmarks.md, issue 10)."""

import os
import subprocess
import sys

import pytest

CHECK = """
import django, sys
django.setup()
from django.urls import get_resolver
import trainerdesk.api
get_resolver().url_patterns
heavy = [m for m in ("numpy", "scipy", "sklearn", "cleanlab") if m in sys.modules]
print(",".join(heavy))
"""


@pytest.mark.process
def test_the_url_conf_and_the_api_load_no_numpy(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "trainerdesk.settings"}
    env["TRAINERDESK_DATA_DIR"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"loaded at import: {run.stdout.strip()}"
