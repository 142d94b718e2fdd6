"""The one place that decides who may see which assessment, attempt or evidence.

Candidates (any signed-in user) see active assessments and only their own attempts;
platform staff (`is_staff`) manage assessments and see every attempt. Everything else is
a 404, so a denial never tells whether the object exists."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.vetting.models import Assessment, Attempt
from trainerdesk.workbench.access import key_or_404


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def require_staff(user) -> None:
    if not is_staff(user):
        raise Http404("Not found")


def assessments_visible_to(user):
    if not user.is_authenticated:
        return Assessment.objects.none()
    if is_staff(user):
        return Assessment.objects.all()
    return Assessment.objects.filter(status=Assessment.Status.ACTIVE)


def get_assessment_for_user(user, assessment_id) -> Assessment:
    """An assessment the user may take (active), or any one for staff."""
    try:
        return assessments_visible_to(user).get(pk=key_or_404(assessment_id))
    except Assessment.DoesNotExist:
        raise Http404("No such assessment") from None


def get_assessment_for_staff(user, assessment_id) -> Assessment:
    require_staff(user)
    return get_assessment_for_user(user, assessment_id)


def attempts_visible_to(user):
    if not user.is_authenticated:
        return Attempt.objects.none()
    qs = Attempt.objects.select_related("assessment")
    return qs if is_staff(user) else qs.filter(user=user)


def get_attempt_for_user(user, attempt_id) -> Attempt:
    try:
        return attempts_visible_to(user).get(pk=key_or_404(attempt_id))
    except Attempt.DoesNotExist:
        raise Http404("No such attempt") from None


def get_own_attempt(user, attempt_id) -> Attempt:
    """An attempt the user takes themselves (to finish it): staff get no exception."""
    attempt = get_attempt_for_user(user, attempt_id)
    if attempt.user_id != user.pk:
        raise Http404("No such attempt")
    return attempt
