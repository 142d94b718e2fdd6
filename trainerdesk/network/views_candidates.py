"""Candidate pages: a member's list (search, keyset pages), add, detail, edit; consents;
and the candidate's own portal (profile, consents, representation requests)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from trainerdesk.lib import money
from trainerdesk.lib.errors import InvalidInput, WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network import access, normalise, services
from trainerdesk.network.api_candidates import search
from trainerdesk.network.models import Client, Consent
from trainerdesk.network.skills import TOOLS
from trainerdesk.network.views import fail
from trainerdesk.vetting.models import Domain

PAGE = 25
TEXT_FIELDS = (
    "full_name",
    "email",
    "phone",
    "profile_url",
    "country",
    "location",
    "rate_currency",
    "available_from",
)


def _profile_from(post) -> tuple[dict, list, list[str]]:
    """The service's profile and languages from the form, and what could not be read."""
    profile = {name: post.get(name, "").strip() for name in TEXT_FIELDS}
    profile["work_authorisation"] = post.get("work_authorisation", "").upper()
    profile["domains"] = post.getlist("domains")
    profile["tools"] = post.getlist("tools")
    raw = post.get("hours_per_week", "").strip()
    profile["hours_per_week"] = int(raw) if raw.isdigit() else (raw or None)
    # The rate is typed in major units ("35,50"); the page shows it back as typed.
    profile["rate"] = post.get("rate", "").strip()
    profile["rate_cents"], problems = None, []
    currency = profile["rate_currency"] or "EUR"
    if profile["rate"] and currency in money.CURRENCY_EXPONENTS:
        try:
            profile["rate_cents"] = money.parse_amount(profile["rate"], currency, field="rate")
        except money.MoneyError as exc:
            problems = exc.errors
    elif profile["rate"]:
        profile["rate_cents"] = 0  # the service refuses the currency, naming its field
    languages = [
        {"code": code, "level": level}
        for code, level in zip(post.getlist("lang_code"), post.getlist("lang_level"), strict=False)
        if code.strip()
    ]
    return profile, languages, problems


def _form_context(values: dict, languages: list) -> dict:
    return {
        "values": values,
        "languages": languages + [{"code": "", "level": ""}],
        "levels": normalise.LEVELS,
        "domains": Domain.choices,
        "tools": TOOLS,
        "language_names": normalise.language_names(),
    }


@login_required
def candidate_list(request: AuthenticatedRequest) -> HttpResponse:
    if not (request.user.is_staff or access.member_of(request.user)):
        access.require_staff(request.user)
    q = request.GET.get("q", "")[:200]
    after = request.GET.get("after", "")
    qs = search(access.candidates_for(request.user), q).distinct().order_by("pk")
    if after.isdigit():
        qs = qs.filter(pk__gt=int(after))
    rows = list(qs.prefetch_related("languages")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    context = {"rows": rows, "q": q, "next_after": rows[-1].pk if more else None}
    if request.htmx:
        return render(request, "network/candidates/list.html#results", context)
    return render(request, "network/candidates/list.html", context)


@login_required
def candidate_add(request: AuthenticatedRequest) -> HttpResponse:
    member = access.approved_member_of(request.user)
    values: dict = {}
    languages: list = []
    duplicate = None
    if request.method == "POST":
        values, languages, problems = _profile_from(request.POST)
        try:
            if problems:
                raise InvalidInput(problems)
            candidate = services.add_candidate(
                member=member,
                profile=values,
                languages=languages,
                consent_held=bool(request.POST.get("consent_held")),
                by=request.user,
            )
        except services.DuplicateCandidate as exc:
            duplicate = {"field": exc.field, "value": values.get(exc.field, "")}
            fail(request, exc)
        except WorkbenchError as exc:
            fail(request, exc)
        else:
            messages.success(request, f"Added {candidate.full_name}.")
            return redirect("network:candidate", candidate.pk)
    context = _form_context(values, languages) | {"duplicate": duplicate}
    return render(request, "network/candidates/add.html", context)


@login_required
@require_POST
def representation_request(request: AuthenticatedRequest) -> HttpResponse:
    member = access.approved_member_of(request.user)
    try:
        services.request_representation(
            member=member,
            field=request.POST.get("field", ""),
            value=request.POST.get("value", ""),
            message=request.POST.get("message", ""),
            by=request.user,
        )
        messages.success(request, "Request sent: the candidate decides in their portal.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:candidates")


@login_required
def candidate_detail(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = access.get_candidate_for_user(request.user, candidate_id)
    is_self = candidate.user_id == request.user.pk
    return render(
        request,
        "network/candidates/detail.html",
        {
            "candidate": candidate,
            "is_self": is_self,
            "languages": candidate.languages.all(),
            "consents": candidate.consents.select_related("client"),
            "clients": Client.objects.filter(status="approved"),
            "purposes": Consent.Purpose.choices,
        },
    )


@login_required
def candidate_edit(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = access.get_candidate_for_user(request.user, candidate_id)
    if request.method == "POST":
        values, languages, problems = _profile_from(request.POST)
        try:
            if problems:
                raise InvalidInput(problems)
            services.update_candidate(
                candidate=candidate, profile=values, languages=languages, by=request.user
            )
        except WorkbenchError as exc:
            fail(request, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("network:candidate", candidate.pk)
    else:
        values = {name: getattr(candidate, name) or "" for name in TEXT_FIELDS}
        values |= {
            "work_authorisation": ", ".join(candidate.work_authorisation),
            "domains": candidate.domains,
            "tools": candidate.tools,
            "hours_per_week": candidate.hours_per_week or "",
            "rate": (
                money.format_amount(candidate.rate_cents, candidate.rate_currency or "EUR")
                if candidate.rate_cents is not None
                else ""
            ),
        }
        languages = [{"code": lang.code, "level": lang.level} for lang in candidate.languages.all()]
    context = _form_context(values, languages) | {"candidate": candidate}
    return render(request, "network/candidates/edit.html", context)


@login_required
@require_POST
def consent_grant(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = access.get_candidate_for_user(request.user, candidate_id)
    client_id = request.POST.get("client", "")
    client = Client.objects.filter(pk=int(client_id)).first() if client_id.isdigit() else None
    method = (
        Consent.Method.CANDIDATE_PORTAL
        if candidate.user_id == request.user.pk
        else Consent.Method.MEMBER_RECORDED
    )
    try:
        services.grant_consent(
            candidate=candidate,
            purpose=request.POST.get("purpose", ""),
            client=client,
            method=method,
            by=request.user,
        )
        messages.success(request, "Consent recorded.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:candidate", candidate.pk)


@login_required
@require_POST
def consent_withdraw(
    request: AuthenticatedRequest, candidate_id: int, consent_id: int
) -> HttpResponse:
    candidate = access.get_candidate_for_user(request.user, candidate_id)
    consent = candidate.consents.filter(pk=consent_id).first()
    if consent is None:
        raise Http404("Not found")
    try:
        services.withdraw_consent(consent=consent, by=request.user)
        messages.success(request, "Consent withdrawn.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:candidate", candidate.pk)


@login_required
def me(request: AuthenticatedRequest) -> HttpResponse:
    """The candidate's portal: their profile, consents, requests, assessments."""
    own = access.candidate_of(request.user)
    if own is None:
        raise Http404("Not found")
    return candidate_detail(request, own.pk)


@login_required
@require_POST
def answer_request(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    found = access.get_request_for_candidate(request.user, request_id)
    try:
        services.answer_representation_request(
            request=found, grant=request.POST.get("grant") == "1", by=request.user
        )
        messages.success(request, "Answer recorded.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:home")


@login_required
@require_POST
def candidate_invite(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = access.get_candidate_for_user(request.user, candidate_id)
    try:
        token, expires = services.invite_candidate(candidate=candidate, by=request.user)
    except WorkbenchError as exc:
        fail(request, exc)
        return redirect("network:candidate", candidate.pk)
    link = request.build_absolute_uri(reverse("network:join", args=[token]))
    context = {"candidate": candidate, "link": link, "expires": expires}
    return render(request, "network/candidates/invited.html", context)


def join(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: no login needed to open it (the candidate has none yet)."""
    try:
        candidate = services.invited_candidate(token)
    except WorkbenchError as exc:
        return render(request, "network/candidates/join.html", {"problem": str(exc)}, status=410)
    errors: list[str] = []
    if request.method == "POST":
        signed_in = request.user.is_authenticated
        password = request.POST.get("password1", "")
        if not signed_in and password != request.POST.get("password2", ""):
            errors.append("password2: the two passwords differ")
        else:
            try:
                candidate = services.accept_invitation(
                    token=token,
                    user=request.user if signed_in else None,
                    username=request.POST.get("username", ""),
                    password=password,
                )
            except WorkbenchError as exc:
                errors = getattr(exc, "errors", None) or [str(exc)]
            else:
                if not signed_in:
                    auth_login(
                        request,
                        candidate.user,
                        backend="django.contrib.auth.backends.ModelBackend",
                    )
                messages.success(request, "Your profile is yours now: this is your portal.")
                return redirect("network:home")
    context = {"candidate": candidate, "errors": errors, "username": request.POST.get("username")}
    return render(request, "network/candidates/join.html", context)
