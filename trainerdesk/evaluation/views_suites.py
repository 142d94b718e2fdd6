"""Behavioural test suite pages: the project's suites (create, import), one suite (its
tests edited in forms, cases, confirmation, runs per version with regressions, an external
model's export and import), the run progress card for htmx, and the one-action "add these
items to a suite" that the error-analysis page posts to. Owners and managers only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.evaluation import access, checklist
from trainerdesk.evaluation.models import ModelVersion, SuiteCase, SuiteRun, SuiteTest
from trainerdesk.evaluation.services import classification_fields, field_of, suite_runs, suites
from trainerdesk.workbench import views_runs
from trainerdesk.workbench.services import ConflictError, InvalidInput

CASES_SHOWN = 10
MAX_UPLOAD = suites.MAX_IMPORT_BYTES


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput([f"{where}: must be a whole number"]) from None


def spec_from_form(kind: str, post) -> dict[str, Any]:
    """A test's spec from the test form's fields (the services check it)."""
    if post.get("spec_json", "").strip():
        try:
            spec = json.loads(post["spec_json"])
        except json.JSONDecodeError as exc:
            raise InvalidInput([f"spec: not valid JSON ({exc.msg})"]) from None
        return spec
    spec: dict[str, Any] = {}
    if post.get("max_cases", "").strip():
        spec["max_cases"] = _int(post["max_cases"], "spec.max_cases")
    if kind == SuiteTest.Kind.MFT:
        spec["templates"] = _lines(post.get("templates", ""))
        spec["expected"] = post.get("expected", "")
        return spec
    perturbation: dict[str, Any] = {"kind": post.get("perturbation", "")}
    if post.get("perturbation_text", "").strip():
        perturbation["text"] = post["perturbation_text"].strip()
    if post.get("samples", "").strip():
        perturbation["samples"] = _int(post["samples"], "spec.perturbation.samples")
    spec["perturbation"] = perturbation
    source = post.get("source", "sample")
    if source == "texts":
        spec["texts"] = _lines(post.get("texts", ""))
    elif source == "items":
        raw = post.get("items", "").replace(",", " ").split()
        spec["items"] = [_int(v, "spec.items") for v in raw]
    else:
        spec["sample"] = _int(post.get("sample", "") or "50", "spec.sample")
    if kind == SuiteTest.Kind.DIR:
        spec["label"] = post.get("label", "")
        spec["direction"] = post.get("direction", "")
        if post.get("tolerance", "").strip():
            try:
                spec["tolerance"] = float(post["tolerance"])
            except ValueError:
                raise InvalidInput(["spec.tolerance: must be a number"]) from None
    return spec


def _lexicons_from_form(value: str) -> dict[str, list[str]]:
    """`name: a, b, c` per line."""
    out: dict[str, list[str]] = {}
    for n, line in enumerate(_lines(value), 1):
        name, sep, values = line.partition(":")
        if not sep:
            raise InvalidInput([f"lexicons: line {n} must read name: value, value, ..."])
        out[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return out


def _lexicons_text(lexicons: dict) -> str:
    return "\n".join(f"{k}: {', '.join(v)}" for k, v in lexicons.items())


@login_required
@require_http_methods(["GET", "POST"])
def suites_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_suite_project(request.user, project_id)
    url = reverse("evaluation:suites", args=[project.pk])
    if request.method == "POST":
        try:
            if request.POST.get("action") == "import":
                upload = request.FILES.get("file")
                if upload is None:
                    raise InvalidInput(["file: choose a suite export (.json)"])
                if upload.size > MAX_UPLOAD:
                    raise InvalidInput([f"file: over {MAX_UPLOAD:,} bytes"])
                suite = suites.import_suite(
                    project=project, text=upload.read(),
                    name=request.POST.get("name") or None, by=request.user,
                )  # fmt: skip
            else:
                suite = suites.create_suite(
                    project=project,
                    name=request.POST.get("name", ""),
                    description=request.POST.get("description", ""),
                    field_name=request.POST.get("field") or None,
                    lexicons=_lexicons_from_form(request.POST.get("lexicons", "")),
                    by=request.user,
                )
            messages.success(request, f"Suite {suite.name!r} saved")
            return redirect("evaluation:suite", project.pk, suite.pk)
        except InvalidInput as exc:
            messages.error(request, str(exc))
            return redirect(url)
    listed = []
    for suite in project.eval_suites.all():
        last = suite.runs.filter(status=SuiteRun.Status.DONE).select_related("version").first()
        listed.append({"suite": suite, "tests": suite.tests.count(), "last": last})
    context = {
        "project": project,
        "suites": listed,
        "fields": classification_fields(project),
    }
    return TemplateResponse(request, "evaluation/suites.html", context)


def _post_suite(request: HttpRequest, suite) -> str:
    """One action of the suite page; returns the success message."""
    action = request.POST.get("action")
    post, by = request.POST, request.user
    if action == "edit_suite":
        suites.update_suite(
            suite=suite, name=post.get("name", ""), description=post.get("description", ""),
            seed=_int(post.get("seed", "0") or "0", "seed"),
            lexicons=_lexicons_from_form(post.get("lexicons", "")), by=by,
        )  # fmt: skip
        return "Suite saved"
    if action == "add_test":
        kind = post.get("kind", "")
        test = suites.add_test(
            suite=suite, name=post.get("name", ""), kind=kind, spec=spec_from_form(kind, post),
            by=by,
        )  # fmt: skip
        return f"Test {test.name!r} added; generate the cases to use it"
    if action == "edit_test":
        test = access.get_suite_test(suite, post.get("test"))
        suites.update_test(
            test=test, name=post.get("name", ""),
            spec=None if test.collected else spec_from_form(test.kind, post), by=by,
        )  # fmt: skip
        return f"Test {test.name!r} saved; generate the cases again to use it"
    if action == "delete_test":
        test = access.get_suite_test(suite, post.get("test"))
        suites.delete_test(test=test, by=by)
        return f"Test {test.name!r} deleted"
    if action == "generate":
        made = suites.generate_cases(suite=suite, by=by)
        return f"{sum(made.values()):,} cases generated"
    if action == "send":
        target = None
        if post.get("target"):
            target = access.get_suite_project(by, post["target"])
        sent = suites.send_for_confirmation(suite=suite, target=target, by=by)
        where = target.name if target else suite.project.name
        return f"{sent:,} cases sent to annotators as items of {where!r}"
    if action == "sync":
        counts = suites.sync_confirmations(suite=suite, by=by)
        return (
            f"{counts['confirmed']:,} of {counts['sent']:,} sent cases confirmed, "
            f"{counts['disputed']:,} with another label than expected"
        )
    if action == "run":
        version = access.get_version(suite.project, post.get("version"))
        run = suite_runs.start_suite_run(suite=suite, version=version, by=by)
        return f"Run {run.pk} of {version.name!r} queued"
    if action == "predictions":
        version = access.get_version(suite.project, post.get("version"))
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(["file: choose the predictions file (.jsonl)"])
        if upload.size > suite_runs.MAX_PREDICTIONS_BYTES:
            raise InvalidInput([f"file: over {suite_runs.MAX_PREDICTIONS_BYTES:,} bytes"])
        run = suite_runs.import_predictions(suite=suite, version=version, data=upload.read(), by=by)
        return f"Predictions of {version.name!r} scored: {run.message}"
    if action == "delete_suite":
        suites.delete_suite(suite=suite, by=by)
        return "Suite deleted"
    raise InvalidInput([f"action: {action!r} is not an action of this page"])


def _run_card(suite, run: SuiteRun) -> dict:
    return views_runs.card_context(
        run,
        poll_url=reverse(
            "evaluation:suite_run_progress", args=[suite.project_id, suite.pk, run.pk]
        ),
        card_id="suite-run-status",
        title=f"Suite run {run.pk} of {run.version.name or '(unnamed)'}",
    )


def _test_rows(suite) -> list[dict]:
    rows = []
    for test in suite.tests.all():
        cases = list(test.cases.all()[:CASES_SHOWN])
        rows.append(
            {
                "test": test,
                "count": test.cases.count(),
                "cases": cases,
                "templates": "\n".join(test.spec.get("templates", [])),
                "texts": "\n".join(test.spec.get("texts", [])),
                "items": " ".join(str(i) for i in test.spec.get("items", [])),
                "source": "texts" if test.spec.get("texts") else
                          "items" if test.spec.get("items") else "sample",
                "perturbation": test.spec.get("perturbation", {}),
            }
        )  # fmt: skip
    return rows


def _run_table(suite, runs: list[SuiteRun]) -> tuple[list[str], list[dict]]:
    """Pass rate per test per run (newest first), each marked against the previous
    version's run."""
    names = list(suite.tests.values_list("name", flat=True))
    table = []
    for run in runs:
        rates: dict[str, Any] = {r["name"]: r for r in run.results}
        _before, marks = suite_runs.compare_to_previous(run) if run.status == "done" else (None, {})
        cells = [{"result": rates.get(name), "mark": marks.get(name)} for name in names]
        table.append({"run": run, "cells": cells})
    return names, table


@login_required
@require_http_methods(["GET", "POST"])
def suite_page(request: HttpRequest, project_id: int, suite_id: int) -> HttpResponse:
    project = access.get_suite_project(request.user, project_id)
    suite = access.get_suite(project, suite_id)
    url = reverse("evaluation:suite", args=[project.pk, suite.pk])
    if request.method == "POST":
        try:
            message = _post_suite(request, suite)
            messages.success(request, message)
            if request.POST.get("action") == "delete_suite":
                return redirect("evaluation:suites", project.pk)
        except (InvalidInput, ConflictError, checklist.SuiteError) as exc:
            messages.error(request, str(exc))
        return redirect(url)
    runs = list(suite.runs.select_related("version", "created_by")[:30])
    if request.GET.get("run"):
        run = access.get_suite_run(suite, request.GET["run"])
    else:
        run = runs[0] if runs else None
    names, table = _run_table(suite, runs)
    field = field_of(project, suite.field_name)
    context = {
        "project": project,
        "suite": suite,
        "field": field,
        "lexicons_text": _lexicons_text(suite.lexicons),
        "tests": _test_rows(suite),
        "kinds": SuiteTest.Kind.choices,
        "perturbations": checklist.PERTURBATIONS,
        "versions": list(ModelVersion.objects.filter(project=project).select_related("model")),
        "builtin": ModelVersion.Source.BASELINE,
        "names": names,
        "table": table,
        "run": run,
        "sendable": SuiteCase.objects.filter(test__suite=suite, confirm_item__isnull=True)
        .exclude(expected="")
        .count(),
        "sent": SuiteCase.objects.filter(test__suite=suite, confirm_item__isnull=False).count(),
        "cases_total": SuiteCase.objects.filter(test__suite=suite).count(),
    }
    if run is not None:
        context |= _run_card(suite, run)
        before, marks = suite_runs.compare_to_previous(run)
        context["previous"] = before
        context["run_tests"] = [
            {"result": row, "mark": marks.get(row["name"])} for row in run.results
        ]
    return TemplateResponse(request, "evaluation/suite.html", context)


@login_required
@require_GET
def suite_run_progress(request, project_id: int, suite_id: int, run_id: int) -> HttpResponse:
    project = access.get_suite_project(request.user, project_id)
    suite = access.get_suite(project, suite_id)
    run = access.get_suite_run(suite, run_id)
    page_url = reverse("evaluation:suite", args=[project.pk, suite.pk]) + f"?run={run.pk}"
    if not request.htmx:
        return redirect(page_url)
    return views_runs.run_progress(request, {"project": project} | _run_card(suite, run),
                                   page_url=page_url)  # fmt: skip


@login_required
@require_GET
def suite_export(request: HttpRequest, project_id: int, suite_id: int) -> HttpResponse:
    project = access.get_suite_project(request.user, project_id)
    suite = access.get_suite(project, suite_id)
    response = HttpResponse(suites.suite_json(suite), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="suite-{suite.pk}.json"'
    return response


@login_required
@require_GET
def suite_cases_export(request: HttpRequest, project_id: int, suite_id: int) -> HttpResponse:
    project = access.get_suite_project(request.user, project_id)
    suite = access.get_suite(project, suite_id)
    response = StreamingHttpResponse(
        suite_runs.export_cases(suite=suite), content_type="application/x-ndjson"
    )
    response["Content-Disposition"] = f'attachment; filename="suite-{suite.pk}-cases.jsonl"'
    return response


@login_required
@require_POST
def suite_add_cases(request: HttpRequest, project_id: int) -> HttpResponse:
    """POST `suite`, repeated `item`, optional `test` (default: the suite's collected
    test) and `next` (a page of this site to go back to)."""
    project = access.get_suite_project(request.user, project_id)
    suite = access.get_suite(project, request.POST.get("suite"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    try:
        test = (
            access.get_suite_test(suite, request.POST["test"]) if request.POST.get("test") else None
        )
        ids = [access.key_or_404(v) for v in request.POST.getlist("item")]
        added = suites.add_cases_from_items(suite=suite, test=test, item_ids=ids, by=request.user)
        messages.success(request, f"{added:,} cases added to suite {suite.name!r}")
    except InvalidInput as exc:
        messages.error(request, str(exc))
    return redirect(back or reverse("evaluation:suite", args=[project.pk, suite.pk]))
