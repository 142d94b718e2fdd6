"""The public career self-assessment: one page of questions, then the result. No login;
works without scripts (plain form POST, then a redirect to the result)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from trainerdesk.careers import access, services
from trainerdesk.careers.questionnaire import (
    INTRO,
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    duration_label,
)
from trainerdesk.careers.scoring import NO_OBLIGATION, Assessment, score_answers
from trainerdesk.lib.errors import InvalidInput

CONSENT_FIELD = "consent"


def _errors_by_question(exc: InvalidInput) -> dict[str, str]:
    # The service names each question first ("hours: please answer ..."), so the page can
    # put each message beside its question.
    out: dict[str, str] = {}
    for message in exc.errors:
        key, _, text = message.partition(": ")
        out.setdefault(key, text)
    return out


def _form_page(
    request: HttpRequest,
    *,
    chosen: dict[str, str],
    errors: dict[str, str],
    consent: bool,
    status: int = 200,
) -> HttpResponse:
    questions = [
        {"question": q, "chosen": chosen.get(q.key, ""), "error": errors.get(q.key, "")}
        for q in QUESTIONS
    ]
    context = {
        "intro": INTRO,
        "duration": duration_label(),
        "questions": questions,
        "errors": errors,
        "consent": consent,
        "version": QUESTIONNAIRE_VERSION,
    }
    return TemplateResponse(request, "careers/assessment.html", context, status=status)


@require_http_methods(["GET", "POST"])
def assessment(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, chosen={}, errors={}, consent=False)
    chosen = {q.key: request.POST.get(q.key, "") for q in QUESTIONS}
    consent = request.POST.get(CONSENT_FIELD) == "yes"
    by = request.user if request.user.is_authenticated else None
    try:
        recorded = services.record_career_assessment(answers=chosen, consent=consent, by=by)
    except InvalidInput as exc:
        return _form_page(
            request, chosen=chosen, errors=_errors_by_question(exc), consent=consent, status=400
        )
    if recorded.result is not None:
        return redirect("careers:kept_result", token=recorded.result.token)
    query = urlencode({services.SIGNED_PARAM: recorded.signed_answers})
    return redirect(f"{reverse('careers:result')}?{query}")


def _result_page(
    request: HttpRequest,
    assessment: Assessment,
    *,
    apply_url: str,
    kept_url: str | None,
) -> HttpResponse:
    context = {
        "assessment": assessment,
        "apply_url": apply_url,
        "kept_url": kept_url,
        "no_obligation": NO_OBLIGATION,
    }
    return TemplateResponse(request, "careers/result.html", context)


@require_GET
def result(request: HttpRequest) -> HttpResponse:
    """A result nothing was stored for: the answers come back signed in the address."""
    signed = request.GET.get(services.SIGNED_PARAM, "")
    answers = access.signed_answers_or_404(signed)
    return _result_page(
        request,
        score_answers(answers),
        apply_url=services.apply_url(signed_answers=signed),
        kept_url=None,
    )


@require_GET
def kept_result(request: HttpRequest, token: str) -> HttpResponse:
    kept = access.get_result_or_404(token)
    scored = services.assessment_of(kept)
    if scored is None:
        # Answered under an older questionnaire: its questions are gone, so no page; the
        # membership application can still read the stored score.
        return redirect("careers:assessment")
    return _result_page(
        request,
        scored,
        apply_url=services.apply_url(token=kept.token),
        kept_url=request.build_absolute_uri(),
    )
