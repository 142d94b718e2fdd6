"""Pipeline pages: a member's pipeline, a client's roles and submissions, staff's funnel
and disputes, a submission with its history. Every lookup goes through access.py; every
write through services; refusals come back as the service's message."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from trainerdesk.lib.errors import WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network.models import Candidate, Opening
from trainerdesk.placements import access, forms, parties, services
from trainerdesk.placements.models import (
    FUNNEL,
    OwnershipDispute,
    Stage,
    StageChange,
)
from trainerdesk.placements.services.interviews import SCHEDULABLE
from trainerdesk.placements.services.offers import OFFERABLE


def _act(request, form, action: Callable[[dict], object], back: str) -> HttpResponse:
    """Run one service call from a posted form; its refusal becomes the page's message."""
    if not form.is_valid():
        for field, errs in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errs)}")
        return redirect(back)
    try:
        action(form.cleaned_data)
    except (WorkbenchError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Saved.")
    return redirect(back)


@login_required
@require_GET
def home(request: AuthenticatedRequest):
    user = request.user
    if parties.is_staff(user):
        return redirect("placements:staff")
    if parties.member_for(user) is not None:
        return redirect("placements:pipeline")
    if parties.client_ids_for(user):
        return redirect("placements:client")
    raise Http404("Not part of the network")


@login_required
@require_GET
def pipeline(request: AuthenticatedRequest):
    member = access.member_or_404(request.user)
    subs = list(access.visible_submissions(request.user).filter(member=member))
    columns = [(label, [s for s in subs if s.stage == value]) for value, label in Stage.choices]
    candidates = Candidate.objects.live().filter(
        representations__member=member, representations__ended_at__isnull=True
    )
    openings = Opening.objects.filter(status=Opening.Status.OPEN).select_related("client")
    return TemplateResponse(
        request,
        "placements/pipeline.html",
        {
            "member": member,
            "columns": columns,
            "expected": services.expected_commissions(member),
            "candidates": candidates,
            "openings": openings,
            "refusal": services.member_submit_refusal(member),
        },
    )


@login_required
@require_POST
def submit(request: AuthenticatedRequest):
    form = forms.SubmitForm(request.POST)
    back = reverse("placements:pipeline")

    def run(data):
        member, candidate, opening = access.get_submittable(
            request.user, data["candidate"], data["opening"]
        )
        services.submit_candidate(
            candidate=candidate, opening=opening, member=member, stage=data["stage"],
            by=request.user,
        )  # fmt: skip

    return _act(request, form, run, back)


@login_required
@require_POST
def raise_dispute(request: AuthenticatedRequest):
    form = forms.DisputeForm(request.POST)

    def run(data):
        member, ownership = access.get_disputable_ownership(
            request.user, data["candidate"], data["client"]
        )
        services.raise_ownership_dispute(
            ownership=ownership, claimant=member, reason=data["reason"], by=request.user
        )

    return _act(request, form, run, reverse("placements:pipeline"))


@login_required
@require_GET
def client_home(request: AuthenticatedRequest):
    ids = access.client_ids_or_404(request.user)
    visible = Q(submissions__stage__in=[s for s in Stage.values if s != Stage.SOURCED])
    openings = (
        Opening.objects.filter(client_id__in=ids)
        .select_related("client")
        .annotate(submitted=Count("submissions", filter=visible))
    )
    return TemplateResponse(request, "placements/client.html", {"openings": openings})


@login_required
@require_GET
def client_opening(request: AuthenticatedRequest, opening_id: int):
    opening = access.get_opening_for_client(request.user, opening_id)
    subs = access.visible_submissions(request.user).filter(opening=opening)
    if not parties.is_staff(request.user):
        subs = subs.exclude(stage=Stage.SOURCED)
    return TemplateResponse(
        request, "placements/client_opening.html", {"opening": opening, "submissions": subs}
    )


@login_required
@require_GET
def staff_dashboard(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    disputes = OwnershipDispute.objects.select_related(
        "ownership__candidate", "ownership__client", "ownership__member", "claimant"
    )
    return TemplateResponse(
        request,
        "placements/staff.html",
        {
            "funnel": services.funnel(),
            "disputes": disputes,
            "policy": services.current_policy(),
            "resolve_form": forms.ResolveForm(),
        },
    )


@login_required
@require_POST
def resolve_dispute(request: AuthenticatedRequest, dispute_id: int):
    dispute = access.get_dispute_for_staff(request.user, dispute_id)
    form = forms.ResolveForm(request.POST)

    def run(data):
        services.resolve_ownership_dispute(
            dispute=dispute, reassign=data["decision"] == "reassign", reason=data["reason"],
            by=request.user,
        )  # fmt: skip

    return _act(request, form, run, reverse("placements:staff"))


@login_required
@require_GET
def submission_detail(request: AuthenticatedRequest, submission_id: int):
    sub = access.get_submission_for_user(request.user, submission_id)
    roles = parties.roles_on(request.user, sub)
    client_side = bool(roles & {"client", "staff"})
    placement = getattr(sub, "placement", None) if sub.stage == Stage.PLACED else None
    interviews = list(sub.interviews.all())
    requirements = list(sub.opening.requirements.all())
    for interview in interviews:
        interview.rows = [(r, interview.feedback.get(str(r.pk))) for r in requirements]
    return TemplateResponse(
        request,
        "placements/submission.html",
        {
            "sub": sub,
            "roles": roles,
            "is_client_side": client_side,
            "can_schedule": client_side and sub.stage in SCHEDULABLE,
            "can_offer": client_side and sub.stage in OFFERABLE,
            "history": StageChange.objects.filter(submission=sub).select_related("by"),
            "moves": [(s, Stage(s).label) for s in services.allowed_moves(sub, request.user)],
            "interviews": interviews,
            "requirements": requirements,
            "ratings": services.RATINGS,
            "offers": sub.offers.all(),
            "placement": placement,
            "interview_form": forms.InterviewForm(),
            "offer_form": forms.OfferForm(
                initial={"unit": sub.opening.pay_unit, "currency": sub.opening.pay_currency}
            ),
            "feedback_form": forms.FeedbackForm(),
            "funnel": FUNNEL,
            "evidence": evidence_for(sub),
        },
    )


def evidence_for(sub) -> list:
    """The candidate's measured skills still valid: assessments always, workbench
    scorecards only with the candidate's consent to show them."""
    from trainerdesk.network.models import Consent
    from trainerdesk.vetting.models import Evidence

    user_id = sub.candidate.user_id
    if user_id is None:
        return []
    rows = Evidence.objects.valid().filter(user_id=user_id)
    shares_scorecards = Consent.objects.filter(
        candidate=sub.candidate, purpose=Consent.Purpose.USE_WORKBENCH_RESULTS,
        withdrawn_at__isnull=True,
    ).exists()  # fmt: skip
    if not shares_scorecards:
        rows = rows.exclude(source=Evidence.Source.SCORECARD)
    return list(rows.order_by("task_type", "domain", "-measured_at"))


def _detail(sub_id) -> str:
    return reverse("placements:submission", args=[sub_id])


@login_required
@require_POST
def move(request: AuthenticatedRequest, submission_id: int):
    sub = access.get_submission_for_user(request.user, submission_id)

    def run(data):
        services.move_submission(
            submission=sub, to_stage=data["to_stage"], reason=data["reason"], by=request.user
        )

    return _act(request, forms.MoveForm(request.POST), run, _detail(sub.pk))


@login_required
@require_POST
def schedule(request: AuthenticatedRequest, submission_id: int):
    sub = access.get_submission_for_user(request.user, submission_id)

    def run(data):
        services.schedule_interview(
            submission=sub, scheduled_at=data["scheduled_at"],
            duration_minutes=data["duration_minutes"], by=request.user,
        )  # fmt: skip

    return _act(request, forms.InterviewForm(request.POST), run, _detail(sub.pk))


@login_required
@require_POST
def feedback(request: AuthenticatedRequest, interview_id: int):
    interview = access.get_interview_for_user(request.user, interview_id)
    posted = {}
    for key, value in request.POST.items():
        if key.startswith("rating_") and value:
            rid = key.removeprefix("rating_")
            posted[rid] = {"rating": value, "note": request.POST.get(f"note_{rid}", "")}

    def run(data):
        services.record_interview_feedback(
            interview=interview, feedback=posted, outcome=data["outcome"],
            notes=data["notes"], by=request.user,
        )  # fmt: skip

    return _act(request, forms.FeedbackForm(request.POST), run, _detail(interview.submission_id))


@login_required
@require_POST
def offer(request: AuthenticatedRequest, submission_id: int):
    sub = access.get_submission_for_user(request.user, submission_id)

    def run(data):
        services.make_offer(
            submission=sub, pay_cents=data["pay_cents"], currency=data["currency"],
            unit=data["unit"], hours_per_week=data["hours_per_week"],
            start_date=data["start_date"], by=request.user,
        )  # fmt: skip

    return _act(request, forms.OfferForm(request.POST), run, _detail(sub.pk))


@login_required
@require_POST
def answer(request: AuthenticatedRequest, offer_id: int):
    found = access.get_offer_for_user(request.user, offer_id)

    def run(data):
        services.answer_offer(offer=found, accepted=data["answer"] == "accept", by=request.user)

    return _act(request, forms.AnswerForm(request.POST), run, _detail(found.submission_id))


@login_required
@require_POST
def start(request: AuthenticatedRequest, placement_id: int):
    placement = access.get_placement_for_user(request.user, placement_id)

    def run(data):
        services.start_placement(placement=placement, on=data["on"], by=request.user)

    return _act(request, forms.DateReasonForm(request.POST), run, _detail(placement.submission_id))


@login_required
@require_POST
def fall_off(request: AuthenticatedRequest, placement_id: int):
    placement = access.get_placement_for_user(request.user, placement_id)

    def run(data):
        from django.utils import timezone

        services.record_fall_off(
            placement=placement, on=data["on"] or timezone.localdate(),
            reason=data["reason"], by=request.user,
        )  # fmt: skip

    return _act(request, forms.DateReasonForm(request.POST), run, _detail(placement.submission_id))
