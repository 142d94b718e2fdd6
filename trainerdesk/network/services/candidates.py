"""Candidates: one record per person, found again by normalised e-mail, phone or profile
URL. A member adds a person (and represents them); a second member reaches that person
only if the candidate grants it; staff merge duplicates."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trainerdesk.lib import audit, money
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import normalise
from trainerdesk.network.models import (
    Candidate,
    CandidateLanguage,
    Consent,
    Member,
    Representation,
    RepresentationRequest,
)
from trainerdesk.network.services.common import positive_int, require_staff, text
from trainerdesk.network.skills import TOOLS
from trainerdesk.vetting.models import Domain

PROFILE_FIELDS = Candidate.PROFILE_FIELDS
IDENTIFYING = ("email", "phone", "profile_url")
FIELD_NAMES = {"email": "e-mail address", "phone": "phone number", "profile_url": "profile URL"}


class DuplicateCandidate(ConflictError):
    """The person is already in the network. Says which field matched, nothing about
    the record or who represents it."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(
            f"{field}: a candidate with this {FIELD_NAMES[field]} is already in the network. "
            "Ask them to let you represent them (Request representation); they decide in "
            "their portal."
        )


def _list_of(value: Any, field: str, allowed: Any = None) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput([f"{field}: must be a list of text"])
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise InvalidInput([f"{field}: {', '.join(map(repr, bad))} not known"])
    return list(dict.fromkeys(value))


def clean_profile(values: dict[str, Any]) -> dict[str, Any]:
    """The profile's stored form; every problem named by field, all at once."""
    errors: list[str] = []
    clean: dict[str, Any] = {}

    def put(name: str, fn: Any) -> None:
        try:
            clean[name] = fn()
        except InvalidInput as exc:
            errors.extend(exc.errors)

    country = values.get("country") or ""
    put("full_name", lambda: text(values.get("full_name"), "full_name", max_length=200))
    put("country", lambda: normalise.country(country) if country else "")
    put("email", lambda: normalise.email(values.get("email")))
    put("phone", lambda: normalise.phone(values.get("phone"), clean.get("country") or ""))
    put("profile_url", lambda: normalise.profile_url(values.get("profile_url")))
    put(
        "location", lambda: text(values.get("location"), "location", max_length=200, required=False)
    )
    put(
        "work_authorisation",
        lambda: [
            normalise.country(c, "work_authorisation", allow_eu=True)
            for c in _list_of(values.get("work_authorisation"), "work_authorisation")
        ],
    )
    put("domains", lambda: _list_of(values.get("domains"), "domains", Domain.values))
    put("tools", lambda: _list_of(values.get("tools"), "tools", TOOLS))
    put(
        "hours_per_week",
        lambda: positive_int(values.get("hours_per_week"), "hours_per_week", low=1, high=80),
    )
    put("available_from", lambda: _date(values.get("available_from"), "available_from"))
    put("rate_cents", lambda: positive_int(values.get("rate_cents"), "rate_cents", high=10_000_000))
    put("rate_currency", lambda: _currency(values.get("rate_currency"), values.get("rate_cents")))
    if not errors and not any(clean.get(f) for f in IDENTIFYING):
        errors.append("email: give an e-mail address, phone number or profile URL")
    if errors:
        raise InvalidInput(errors)
    return clean


def _date(value: Any, field: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput([f"{field}: not a date (YYYY-MM-DD)"]) from None


def _currency(value: Any, amount: Any) -> str:
    code = (value or "").strip().upper() if isinstance(value, str) or value is None else value
    if amount in (None, ""):
        return code if isinstance(code, str) else ""
    # lib/money's reviewed table (as for roles): the rate is stored in minor units.
    return money.validate_currency(code, field="rate_currency")


def clean_languages(languages: Any) -> list[tuple[str, str]]:
    """`[{"code": "en", "level": "C1"}, ...]` or `[("en", "C1")]`; one level per language."""
    out: dict[str, str] = {}
    for i, entry in enumerate(languages or []):
        code, level = (entry.get("code"), entry.get("level")) if isinstance(entry, dict) else entry
        out[normalise.language(code, f"languages[{i}].code")] = normalise.level(
            level, f"languages[{i}].level"
        )
    return list(out.items())


def _refuse_duplicates(clean: dict[str, Any], exclude: int | None = None) -> None:
    for field in IDENTIFYING:
        if clean.get(field):
            found = Candidate.objects.filter(merged_into__isnull=True, **{field: clean[field]})
            if exclude:
                found = found.exclude(pk=exclude)
            if found.exists():
                raise DuplicateCandidate(field)


def _set_languages(candidate: Candidate, languages: list[tuple[str, str]]) -> None:
    candidate.languages.all().delete()
    CandidateLanguage.objects.bulk_create(
        CandidateLanguage(candidate=candidate, code=code, level=level) for code, level in languages
    )


def add_candidate(
    *,
    member: Member,
    profile: dict[str, Any],
    languages: Any = (),
    consent_held: bool = False,
    by: Any,
) -> Candidate:
    """A member adds a person they represent. `consent_held`: the member holds the
    person's written agreement to the talent pool, recorded as the profile consent."""
    if by is None or by.pk != member.user_id:
        raise ConflictError("a member adds candidates for themselves")
    if member.status != "approved":
        raise ConflictError("only approved members add candidates")
    clean = clean_profile(profile)
    langs = clean_languages(languages)
    with transaction.atomic():
        _refuse_duplicates(clean)
        try:
            with transaction.atomic():
                candidate = Candidate.objects.create(**clean, created_by=by)
        except IntegrityError:
            # Another member added the same person between the check and the insert (the
            # partial unique constraints caught it): refuse it the same way.
            _refuse_duplicates(clean)
            raise
        _set_languages(candidate, langs)
        Representation.objects.create(member=member, candidate=candidate)
        if consent_held:
            Consent.objects.create(
                candidate=candidate,
                purpose=Consent.Purpose.PROFILE,
                method=Consent.Method.MEMBER_RECORDED,
                recorded_by=by,
            )
        audit.record(
            action="network.candidate.create",
            obj=candidate,
            by=by,
            changes={
                "member": member.pk,
                "languages": [c for c, _ in langs],
                "consent_recorded": consent_held,
            },
        )
    return candidate


def update_candidate(
    *, candidate: Candidate, profile: dict[str, Any], languages: Any = None, by: Any
) -> Candidate:
    """Fields not in `profile` keep their value; `languages` None keeps the languages."""
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.merged_into_id:
            raise ConflictError("this record was merged into another; edit that one")
        current = {f: getattr(candidate, f) for f in PROFILE_FIELDS}
        clean = clean_profile(current | profile)
        langs = clean_languages(languages) if languages is not None else None
        _refuse_duplicates(clean, exclude=candidate.pk)
        before = audit.snapshot(candidate, PROFILE_FIELDS)
        for name, value in clean.items():
            setattr(candidate, name, value)
        candidate.save(update_fields=list(PROFILE_FIELDS))
        changes = audit.changed_fields(before, candidate, PROFILE_FIELDS)
        if langs is not None:
            _set_languages(candidate, langs)
            changes["languages"] = [c for c, _ in langs]
        audit.record(action="network.candidate.update", obj=candidate, by=by, changes=changes)
    return candidate


def request_representation(
    *, member: Member, field: str, value: str, message: str = "", by: Any
) -> RepresentationRequest:
    """After a duplicate refusal: ask the person found by the same identifying value."""
    if by is None or by.pk != member.user_id:
        raise ConflictError("a member asks for themselves")
    if field not in IDENTIFYING:
        raise InvalidInput([f"field: one of {', '.join(IDENTIFYING)}"])
    probe = clean_profile({"full_name": "-", field: value})
    candidate = Candidate.objects.live().filter(**{field: probe[field]}).first()
    if candidate is None:
        raise InvalidInput([f"{field}: no candidate in the network has this {FIELD_NAMES[field]}"])
    with transaction.atomic():
        if candidate.representations.filter(member=member, ended_at__isnull=True).exists():
            raise ConflictError("you already represent this candidate")
        if RepresentationRequest.objects.filter(
            member=member, candidate=candidate, status="pending"
        ).exists():
            raise ConflictError("you have already asked; the candidate has not answered yet")
        request = RepresentationRequest.objects.create(
            member=member,
            candidate=candidate,
            message=text(message, "message", max_length=500, required=False),
        )
        audit.record(
            action="network.representation.request",
            obj=request,
            by=by,
            changes={"member": member.pk, "candidate": candidate.pk},
        )
    return request


def answer_representation_request(
    *, request: RepresentationRequest, grant: bool, by: Any
) -> RepresentationRequest:
    """Only the candidate answers (their own login)."""
    with transaction.atomic():
        request = (
            RepresentationRequest.objects.select_for_update()
            .select_related("candidate")
            .get(pk=request.pk)
        )
        if by is None or request.candidate.user_id != by.pk:
            raise ConflictError("only the candidate answers this request")
        if request.status != RepresentationRequest.Status.PENDING:
            raise ConflictError(f"this request was already {request.status}")
        request.status = "granted" if grant else "declined"
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        if grant:
            Representation.objects.get_or_create(
                member_id=request.member_id,
                candidate_id=request.candidate_id,
                ended_at__isnull=True,
            )
        audit.record(
            action=f"network.representation.{'grant' if grant else 'decline'}",
            obj=request,
            by=by,
            changes={"member": request.member_id},
        )
    return request


def merge_candidates(*, keep: Candidate, duplicate: Candidate, by: Any) -> Candidate:
    """Staff fold `duplicate` into `keep`: languages (the higher level wins), consents and
    representations move; the duplicate stays as a record pointing at `keep`
    (`merged_into`; the unique constraints skip merged rows).
    Evidence belongs to the user account, so it follows the login: a duplicate's login
    moves to `keep` when `keep` has none."""
    require_staff(by)
    if keep.pk == duplicate.pk:
        raise InvalidInput(["duplicate: must differ from keep"])
    with transaction.atomic():
        rows = {
            c.pk: c
            for c in Candidate.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk])
        }
        keep, duplicate = rows[keep.pk], rows[duplicate.pk]
        if keep.merged_into_id or duplicate.merged_into_id:
            raise ConflictError("one of these records is already merged")
        levels = dict(keep.languages.values_list("code", "level"))
        for lang in duplicate.languages.all():
            if normalise.level_rank(lang.level) > normalise.level_rank(levels.get(lang.code, "")):
                levels[lang.code] = lang.level
        _set_languages(keep, list(levels.items()))
        duplicate.languages.all().delete()
        moved_consents = duplicate.consents.update(candidate=keep)
        kept_members = set(
            keep.representations.filter(ended_at__isnull=True).values_list("member_id", flat=True)
        )
        moved_reps = 0
        for rep in duplicate.representations.filter(ended_at__isnull=True):
            if rep.member_id in kept_members:
                rep.ended_at = timezone.now()
                rep.save(update_fields=["ended_at"])
            else:
                rep.candidate = keep
                rep.save(update_fields=["candidate"])
                moved_reps += 1
        duplicate.representation_requests.filter(status="pending").update(candidate=keep)
        moved_user = None
        if keep.user_id is None and duplicate.user_id is not None:
            moved_user = duplicate.user_id
            duplicate.user = None
        taken = {f: getattr(duplicate, f) for f in IDENTIFYING}
        for field in IDENTIFYING:
            if not getattr(keep, field) and taken[field]:
                setattr(keep, field, taken[field])
        duplicate.merged_into = keep
        duplicate.save(update_fields=["user", "merged_into", *IDENTIFYING])
        if moved_user:
            keep.user_id = moved_user
        keep.save(update_fields=["user", *IDENTIFYING])
        audit.record(
            action="network.candidate.merge",
            obj=keep,
            by=by,
            changes={
                "duplicate": duplicate.pk,
                "consents": moved_consents,
                "representations": moved_reps,
                "login_moved": moved_user is not None,
            },
        )
    return keep


def create_candidate_login(
    *, candidate: Candidate, username: str, password: str, check_password: bool = True, by: Any
) -> Candidate:
    """Give a candidate their own login (to see their profile, consents and assessments):
    staff or a member who represents them. The account's e-mail is the candidate's."""
    from trainerdesk.accounts.services import AccountError, create_user

    represents = (
        by is not None
        and candidate.representations.filter(member__user=by, ended_at__isnull=True).exists()
    )
    if not (represents or (by is not None and by.is_staff)):
        raise ConflictError("only staff or a member who represents this candidate can do this")
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.user_id is not None:
            raise ConflictError("this candidate already has a login")
        try:
            user = create_user(
                username=text(username, "username", max_length=150),
                password=password,
                email=candidate.email or "",
                check_password=check_password,
                by=by,
            )
        except AccountError as exc:
            raise InvalidInput([str(exc)]) from None
        candidate.user = user
        candidate.save(update_fields=["user"])
        audit.record(
            action="network.candidate.update",
            obj=candidate,
            by=by,
            changes={"login": {"before": None, "after": user.pk}},
        )
    return candidate
