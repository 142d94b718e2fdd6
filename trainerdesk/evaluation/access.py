"""Who may see evaluation records. Evaluation pages and API show reference labels and every
annotator's final answers aggregated, so only managers and reviewers ("see_all_work") get
in; annotators and outsiders get 404 from the workbench's get_project_for_user, and a
record of another project is 404 here."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.evaluation.models import EvaluationRun, ModelVersion, TrainingRun
from trainerdesk.workbench.access import get_project_with_runs, key_or_404
from trainerdesk.workbench.models import Project

SEE = "see_all_work"
CHANGE = "manage"


def get_project(user, project_id, *, change: bool = False) -> Project:
    return get_project_with_runs(user, project_id, action=CHANGE if change else SEE)


def get_version(project: Project, version_id) -> ModelVersion:
    try:
        return ModelVersion.objects.select_related("model").get(
            pk=key_or_404(version_id), project=project
        )
    except ModelVersion.DoesNotExist:
        raise Http404("No such model version") from None


def get_run(project: Project, run_id) -> EvaluationRun:
    try:
        return EvaluationRun.objects.select_related("version", "created_by").get(
            pk=key_or_404(run_id), project=project
        )
    except EvaluationRun.DoesNotExist:
        raise Http404("No such evaluation run") from None


def get_training(project: Project, training_id) -> TrainingRun:
    try:
        return TrainingRun.objects.select_related("version").get(
            pk=key_or_404(training_id), project=project
        )
    except TrainingRun.DoesNotExist:
        raise Http404("No such training") from None


# Behavioural test suites: owners and managers only (a suite's confirmed labels are other
# annotators' answers, and its runs steer the next round of labelling).


def get_suite_project(user, project_id) -> Project:
    return get_project(user, project_id, change=True)


def get_suite(project: Project, suite_id):
    from trainerdesk.evaluation.models import Suite

    try:
        return Suite.objects.select_related("project").get(pk=key_or_404(suite_id), project=project)
    except Suite.DoesNotExist:
        raise Http404("No such suite") from None


def get_suite_test(suite, test_id):
    try:
        return suite.tests.select_related("suite__project").get(pk=key_or_404(test_id))
    except suite.tests.model.DoesNotExist:
        raise Http404("No such suite test") from None


def get_suite_run(suite, run_id):
    try:
        return suite.runs.select_related("version", "created_by").get(pk=key_or_404(run_id))
    except suite.runs.model.DoesNotExist:
        raise Http404("No such suite run") from None
