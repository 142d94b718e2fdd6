"""The network part of `trainerdesk demo`: staff, two active members, one client with a
contact, two open roles with measured requirements, and candidate accounts with logins
and consent but no results (results come only from taking an assessment). Everyone is a
clearly marked demo person with an example.org address. Built through the services, so
the audit log shows the demo like any other use; re-running adds nothing twice."""

from __future__ import annotations

from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.db import transaction

from trainerdesk.accounts import services as accounts
from trainerdesk.network import services
from trainerdesk.network.models import Candidate, Client, Consent, Member, Opening
from trainerdesk.network.services import gates
from trainerdesk.vetting import demo as vetting_demo
from trainerdesk.workbench import demo as workbench_demo

PASSWORD = workbench_demo.PASSWORD
# The platform staff login is the vetting demo's (one staff person runs the demo platform).
STAFF = vetting_demo.STAFF
MEMBERS = {"demo-member1": "Demo Member One", "demo-member2": "Demo Member Two"}
CLIENT_CONTACT = "demo-client"
CLIENT_NAME = "Demo Client (example)"
CANDIDATES = {
    "demo-candidate1": ("Demo Candidate One", [("en", "C1"), ("de", "native")], ["news"]),
    "demo-candidate2": ("Demo Candidate Two", [("en", "C2")], ["reviews"]),
    "demo-candidate3": (
        "Demo Candidate Three",
        [("en", "B2"), ("fr", "native")],
        ["news", "reviews"],
    ),
}
ROLES = [
    {
        "title": "News topic annotator (demo role)",
        "description": "Classify English news articles by topic for a model-training project.",
        "task_type": "text_classification",
        "domain": "news",
        "contract_type": "freelance",
        "duration_months": 4,
        "hours_per_week": 20,
        "pay_cents": 3200,
        "pay_unit": "hour",
        "fee_type": "percent",
        "fee_basis_points": 2000,
        "guarantee_days": 90,
        "requirements": [
            {"kind": "language", "language": "en", "level": "C1"},
            {
                "kind": "accuracy",
                "task_type": "text_classification",
                "domain": "news",
                "threshold": 0.8,
            },
        ],
    },
    {
        "title": "Review sentiment rater (demo role)",
        "description": "Rate the sentiment of film and product reviews.",
        "task_type": "sentiment",
        "domain": "reviews",
        "contract_type": "freelance",
        "duration_months": 3,
        "hours_per_week": 15,
        "pay_cents": 2800,
        "pay_unit": "hour",
        "fee_type": "flat",
        "fee_flat_cents": 150000,
        "guarantee_days": 60,
        "requirements": [
            {"kind": "language", "language": "en", "level": "B2"},
            {"kind": "accuracy", "task_type": "sentiment", "domain": "reviews", "threshold": 0.75},
            {"kind": "lead_time", "task_type": "sentiment", "domain": "reviews", "threshold": 60},
        ],
    },
]
USERNAMES = (STAFF, *MEMBERS, CLIENT_CONTACT, *CANDIDATES)
OWN_USERNAMES = (*MEMBERS, CLIENT_CONTACT, *CANDIDATES)  # removed with the demo


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _user(username: str, *, staff: bool = False) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = accounts.create_user(
            username=username,
            password=PASSWORD,
            email=vetting_demo.STAFF_EMAIL if username == STAFF else f"{username}@example.org",
            check_password=False,
        )
    if staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def _member(staff: Any, username: str, name: str) -> Member:
    user = _user(username)
    member = Member.objects.filter(user=user).first()
    if member is None:
        member = services.apply_for_membership(
            user=user, display_name=name, country="AT", vat_status="not_registered", by=user
        )
    if member.status == "pending":
        member = services.decide_member(member=member, approve=True, reason="demo", by=staff)
    pending = member.memberships.filter(status="pending").first()
    if pending and not member.memberships.filter(status="active").exists():
        # The apps above (contracts) make what activation needs: a signed agreement.
        gates.fulfil_gates(gates.MEMBERSHIP_ACTIVATE, member, by=staff)
        services.activate_membership(membership=pending, by=staff)
    return member


def load_network_demo(*, stdout: TextIO | None = None) -> dict:
    with transaction.atomic():
        staff = _user(STAFF, staff=True)
        members = [_member(staff, u, n) for u, n in MEMBERS.items()]
        client = Client.objects.filter(name=CLIENT_NAME).first()
        if client is None:
            client = services.create_client(
                name=CLIENT_NAME,
                legal_name="Demo Client GmbH (example)",
                country="DE",
                vat_id="DE136695976",
                city="Berlin",
                billing_email="billing@example.org",
                by=staff,
            )
        if client.status == "pending":
            client = services.decide_client(client=client, approve=True, reason="demo", by=staff)
        contact = _user(CLIENT_CONTACT)
        if not client.contacts.filter(user=contact).exists():
            services.add_client_contact(
                client=client,
                username=CLIENT_CONTACT,
                job_title="Hiring manager",
                is_primary=True,
                by=staff,
            )
        for spec in ROLES:
            values = {k: v for k, v in spec.items() if k != "requirements"}
            opening = Opening.objects.filter(client=client, title=spec["title"]).first()
            if opening is None:
                opening = services.create_opening(
                    client=client, values=values, requirements=spec["requirements"], by=contact
                )
            if opening.status == "draft":
                opening = services.transition_opening(opening=opening, to="approved", by=staff)
            if opening.status == "approved":
                gates.fulfil_gates(gates.OPENING_OPEN, opening, by=staff)
                services.transition_opening(opening=opening, to="open", by=contact)
        for i, (username, (name, languages, domains)) in enumerate(CANDIDATES.items()):
            member = members[i % len(members)]
            email = f"{username}@example.org"
            person = Candidate.objects.live().filter(email=email).first()
            if person is None:
                person = services.add_candidate(
                    member=member,
                    by=member.user,
                    consent_held=True,
                    profile={
                        "full_name": name,
                        "email": email,
                        "country": "AT",
                        "work_authorisation": ["EU"],
                        "domains": domains,
                        "tools": ["Label Studio"],
                        "hours_per_week": 20,
                    },
                    languages=[{"code": c, "level": lv} for c, lv in languages],
                )
            if person.user_id is None:
                person = services.create_candidate_login(
                    candidate=person,
                    username=username,
                    password=PASSWORD,
                    check_password=False,
                    by=member.user,
                )
            if not services.has_consent(person, Consent.Purpose.SUBMIT_TO_CLIENT, client):
                services.grant_consent(
                    candidate=person,
                    purpose=Consent.Purpose.SUBMIT_TO_CLIENT,
                    client=client,
                    by=person.user,
                )
    _say(
        stdout,
        f"Network demo: {len(members)} members, client {CLIENT_NAME}, "
        f"{len(ROLES)} open roles, {len(CANDIDATES)} candidates (no results until they "
        "take an assessment)",
    )
    return {
        "password": PASSWORD,
        "logins": {
            STAFF: "network staff (approvals, merge tool)",
            **dict.fromkeys(MEMBERS, "network member (active)"),
            CLIENT_CONTACT: f"client contact at {CLIENT_NAME}",
            **dict.fromkeys(CANDIDATES, "candidate (own profile and consents)"),
        },
    }


def remove_network_demo(*, stdout: TextIO | None = None) -> None:
    """`trainerdesk demo --reset/--remove`: the demo client, its roles, the demo members and
    candidates and their logins (the staff login is the vetting demo's to remove)."""
    with transaction.atomic():
        client = Client.objects.filter(name=CLIENT_NAME)
        gates.clean_up_demo(
            members=Member.objects.filter(user__username__in=MEMBERS), clients=client
        )
        Opening.objects.filter(client__in=client).delete()
        client.delete()
        emails = [f"{u}@example.org" for u in CANDIDATES]
        people = Candidate.objects.filter(email__in=emails)
        count = people.count()
        Candidate.objects.filter(merged_into__in=people).update(merged_into=None)
        people.delete()
        Member.objects.filter(user__username__in=MEMBERS).delete()
        get_user_model().objects.filter(
            username__in=OWN_USERNAMES, email__in=[f"{u}@example.org" for u in OWN_USERNAMES]
        ).delete()
    _say(stdout, f"Removed the network demo ({count} candidate(s))")
