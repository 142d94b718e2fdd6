"""Who may see or change quality records. Project permission comes from the workbench's
get_project_for_user (the one place that decides roles); these getters only make sure the
record belongs to that project, and raise Http404 otherwise."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.quality.models import AgreementReport, LabelErrorFinding, LabelErrorRun
from trainerdesk.workbench.access import key_or_404
from trainerdesk.workbench.models import Project


def get_label_error_run_for_user(user, project: Project, run_id) -> LabelErrorRun:
    """A run of a project get_project_for_user(action="see_all_work") already let in."""
    try:
        return LabelErrorRun.objects.select_related("created_by").get(
            pk=key_or_404(run_id), project=project
        )
    except LabelErrorRun.DoesNotExist:
        raise Http404("No such label-error run") from None


def get_label_error_finding_for_user(user, project: Project, finding_id) -> LabelErrorFinding:
    try:
        return LabelErrorFinding.objects.select_related("run", "item").get(
            pk=key_or_404(finding_id), run__project=project
        )
    except LabelErrorFinding.DoesNotExist:
        raise Http404("No such finding") from None


def get_agreement_report_for_user(user, project: Project, report_id) -> AgreementReport:
    """A report of a project get_project_for_user(action="see_all_work") already let in."""
    try:
        return AgreementReport.objects.select_related("created_by").get(
            pk=key_or_404(report_id), project=project
        )
    except AgreementReport.DoesNotExist:
        raise Http404("No such agreement report") from None


def get_scorecard_annotator_for_user(user, project: Project, username: str):
    """The annotator whose scorecard `user` asks for in a project get_project_for_user
    (action="view") let them into: anyone who annotated or is a member, for managers and
    reviewers; only themselves for annotators. 404 otherwise."""
    from django.contrib.auth import get_user_model

    from trainerdesk.workbench.access import can

    if not can(project, "see_all_work") and username != user.get_username():
        raise Http404("No such scorecard")
    target = get_user_model().objects.filter(username=str(username)[:150]).first()
    if target is None or not (
        project.members.filter(user=target).exists()
        or project.annotations.filter(annotator=target).exists()
    ):
        raise Http404("No such annotator")
    return target
