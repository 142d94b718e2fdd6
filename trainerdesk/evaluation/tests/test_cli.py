"""`trainerdesk evaluate` through call_command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from trainerdesk.evaluation.models import EvaluationRun


def test_evaluate_prints_intervals_and_stores_the_run(labelled):
    out = StringIO()
    call_command("evaluate", str(labelled.pk), "--version", "v2", "--scope", "all",
                 "--resamples", "200", stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "60 items (all)" in text and "200 resamples" in text
    run = EvaluationRun.objects.get()
    assert run.status == "done" and run.version.name == "v2"
    out = StringIO()
    call_command("evaluate", labelled.name, "--version", "v1", "--scope", "all", "--json",
                 stdout=out)  # fmt: skip
    assert json.loads(out.getvalue())["metrics"]["n"] == 60


def test_evaluate_names_the_problem(labelled):
    with pytest.raises(CommandError, match="version: 'nope'"):
        call_command("evaluate", str(labelled.pk), "--version", "nope")
    with pytest.raises(CommandError, match="scope: this project has no evaluation split"):
        call_command("evaluate", str(labelled.pk), "--version", "v1")
