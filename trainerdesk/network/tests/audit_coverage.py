"""The network API's writes and the audit actions each must leave (gathered by
trainerdesk/tests/test_audit_api_coverage.py with every other app's registry). Each driver
builds the parties it needs with the ORM and logs in whoever may make the call."""

from django.apps import apps

WRITES = {
    ("POST", "/api/v1/matching/openings/{opening_id}/rankings"): ("network.ranking.create",),
    ("POST", "/api/v1/network/members"): ("network.member.apply",),
    ("POST", "/api/v1/network/members/{member_id}/decision"): (
        "network.member.approve",
        "network.member.reject",
    ),
    ("POST", "/api/v1/network/members/{member_id}/renewal"): ("network.membership.create",),
    ("POST", "/api/v1/network/memberships/{membership_id}/activate"): (
        "network.membership.activate",
    ),
    ("POST", "/api/v1/network/memberships/{membership_id}/cancel"): ("network.membership.cancel",),
    ("POST", "/api/v1/network/guides/{slug}/complete"): ("network.guide.complete",),
    ("POST", "/api/v1/network/clients"): ("network.client.create",),
    ("PATCH", "/api/v1/network/clients/{client_id}"): ("network.client.update",),
    ("POST", "/api/v1/network/clients/{client_id}/decision"): (
        "network.client.approve",
        "network.client.reject",
    ),
    ("POST", "/api/v1/network/clients/{client_id}/contacts"): ("network.clientcontact.create",),
    ("POST", "/api/v1/network/candidates"): ("network.candidate.create",),
    ("PATCH", "/api/v1/network/candidates/{candidate_id}"): ("network.candidate.update",),
    ("POST", "/api/v1/network/candidates/{candidate_id}/merge"): ("network.candidate.merge",),
    ("POST", "/api/v1/network/candidates/{candidate_id}/invitation"): ("network.candidate.invite",),
    ("POST", "/api/v1/network/representation-requests"): ("network.representation.request",),
    ("POST", "/api/v1/network/representation-requests/{request_id}/answer"): (
        "network.representation.grant",
        "network.representation.decline",
    ),
    ("POST", "/api/v1/network/candidates/{candidate_id}/consents"): ("network.consent.grant",),
    ("POST", "/api/v1/network/consents/{consent_id}/withdraw"): ("network.consent.withdraw",),
    # Recorded by the vetting service the network calls, in the same transaction.
    ("POST", "/api/v1/network/candidates/{candidate_id}/workbench-evidence"): (
        "vetting.evidence.create",
    ),
    ("POST", "/api/v1/network/openings"): ("network.opening.create",),
    ("PATCH", "/api/v1/network/openings/{opening_id}"): ("network.opening.update",),
    ("POST", "/api/v1/network/openings/{opening_id}/transition"): ("network.opening.transition",),
}


def _json(client, method, url, body=None):
    response = getattr(client, method)(url, body or {}, content_type="application/json")
    assert response.status_code in (200, 201), (url, response.status_code, response.content)
    return response


def _net(name):
    return apps.get_model("network", name)


def _net_user(username, *, staff=False):
    from trainerdesk.accounts.services import create_user

    user = create_user(username=username, password="x", check_password=False)
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def _net_member(username="netmember", status="approved"):
    import datetime

    from django.utils import timezone

    member = _net("Member").objects.create(
        user=_net_user(username), display_name=username, country="AT",
        vat_status="not_registered", status=status,
    )  # fmt: skip
    plan = _net("MembershipPlan").objects.get(code="standard")
    today = timezone.localdate()
    if status == "approved":
        _net("Membership").objects.create(
            member=member, plan=plan, price_cents=plan.price_cents, currency=plan.currency,
            status="active", period_start=today, period_end=today + datetime.timedelta(days=365),
        )  # fmt: skip
    return member


def _net_client(status="approved"):
    company = _net("Client").objects.create(name="Acme", country="AT", status=status)
    contact = _net_user("netcontact")
    _net("ClientContact").objects.create(client=company, user=contact)
    return company, contact


def _net_candidate(member, *, login=True, email="cand@example.org"):
    person = _net("Candidate").objects.create(
        full_name="Cand", email=email, user=_net_user(email.split("@")[0]) if login else None
    )
    _net("Representation").objects.create(member=member, candidate=person)
    return person


def _net_opening(company, status="draft"):
    return _net("Opening").objects.create(
        client=company, title="Role", task_type="ner", domain="general",
        contract_type="freelance", hours_per_week=10, pay_cents=1000, fee_type="flat",
        fee_flat_cents=1000, status=status,
    )  # fmt: skip


def _as(client, user):
    client.force_login(user)
    return client


def _net_apply(client, **_):
    body = {"display_name": "Me", "country": "AT", "vat_status": "not_registered"}
    _json(client, "post", "/api/v1/network/members", body)


def _net_decide_member(client, **_):
    member = _net_member(status="pending")
    url = f"/api/v1/network/members/{member.pk}/decision"
    _json(_as(client, _net_user("netstaff", staff=True)), "post", url, {"approve": True})


def _net_renew(client, **_):
    member = _net_member()
    _json(_as(client, member.user), "post", f"/api/v1/network/members/{member.pk}/renewal")


def _net_activate(client, **_):
    member = _net_member(status="pending")
    plan = _net("MembershipPlan").objects.get(code="standard")
    period = _net("Membership").objects.create(
        member=member, plan=plan, price_cents=1, currency="EUR"
    )
    staff = _net_user("netstaff", staff=True)
    _json(_as(client, staff), "post", f"/api/v1/network/memberships/{period.pk}/activate")


def _net_cancel(client, **_):
    member = _net_member()
    period = member.memberships.get()
    _json(_as(client, member.user), "post", f"/api/v1/network/memberships/{period.pk}/cancel")


def _net_guide(client, **_):
    member = _net_member()
    _json(_as(client, member.user), "post", "/api/v1/network/guides/network-rules/complete")


def _net_create_client(client, **_):
    staff = _net_user("netstaff", staff=True)
    _json(_as(client, staff), "post", "/api/v1/network/clients", {"name": "X", "country": "AT"})


def _net_patch_client(client, **_):
    company, _ = _net_client()
    staff = _net_user("netstaff", staff=True)
    _json(_as(client, staff), "patch", f"/api/v1/network/clients/{company.pk}", {"city": "Wien"})


def _net_decide_client(client, **_):
    company, _ = _net_client(status="pending")
    staff = _net_user("netstaff", staff=True)
    url = f"/api/v1/network/clients/{company.pk}/decision"
    _json(_as(client, staff), "post", url, {"approve": True})


def _net_contact(client, **_):
    company, _ = _net_client()
    staff = _net_user("netstaff", staff=True)
    body = {"username": "newcontact", "password": "a-long-enough-password-9"}
    _json(_as(client, staff), "post", f"/api/v1/network/clients/{company.pk}/contacts", body)


def _net_add_candidate(client, **_):
    member = _net_member()
    body = {"full_name": "New", "email": "new@example.org"}
    _json(_as(client, member.user), "post", "/api/v1/network/candidates", body)


def _net_patch_candidate(client, **_):
    member = _net_member()
    person = _net_candidate(member)
    url = f"/api/v1/network/candidates/{person.pk}"
    _json(_as(client, member.user), "patch", url, {"location": "Graz"})


def _net_merge(client, **_):
    member = _net_member()
    keep = _net_candidate(member)
    duplicate = _net_candidate(member, login=False, email="dup@example.org")
    staff = _net_user("netstaff", staff=True)
    url = f"/api/v1/network/candidates/{keep.pk}/merge"
    _json(_as(client, staff), "post", url, {"duplicate": duplicate.pk})


def _net_request(client, **_):
    person = _net_candidate(_net_member())
    other = _net_member("othernetmember")
    body = {"field": "email", "value": person.email}
    _json(_as(client, other.user), "post", "/api/v1/network/representation-requests", body)


def _net_answer(client, **_):
    person = _net_candidate(_net_member())
    other = _net_member("othernetmember")
    request = _net("RepresentationRequest").objects.create(member=other, candidate=person)
    url = f"/api/v1/network/representation-requests/{request.pk}/answer"
    _json(_as(client, person.user), "post", url, {"grant": True})


def _net_consent(client, **_):
    person = _net_candidate(_net_member())
    url = f"/api/v1/network/candidates/{person.pk}/consents"
    _json(_as(client, person.user), "post", url, {"purpose": "profile"})


def _net_withdraw(client, **_):
    person = _net_candidate(_net_member())
    consent = _net("Consent").objects.create(
        candidate=person, purpose="profile", method="candidate_portal"
    )
    _json(_as(client, person.user), "post", f"/api/v1/network/consents/{consent.pk}/withdraw")


def _net_workbench_evidence(client, *, project, **_):
    annotator = project.members.get(role="annotator").user
    person = _net("Candidate").objects.create(full_name="Annie", user=annotator)
    _net("Consent").objects.create(
        candidate=person, purpose="use_workbench_results", method="candidate_portal"
    )
    body = {"project": project.pk, "task_type": "text_classification", "domain": "news"}
    url = f"/api/v1/network/candidates/{person.pk}/workbench-evidence"
    _json(_as(client, _net_user("netstaff", staff=True)), "post", url, body)


def _net_invite(client, **_):
    member = _net_member()
    person = _net_candidate(member, login=False)
    _json(_as(client, member.user), "post", f"/api/v1/network/candidates/{person.pk}/invitation")


def _net_create_opening(client, **_):
    company, contact = _net_client()
    body = {"client": company.pk, "title": "R", "task_type": "ner", "contract_type": "freelance",
            "hours_per_week": 5, "pay_cents": 100}  # fmt: skip
    _json(_as(client, contact), "post", "/api/v1/network/openings", body)


def _net_patch_opening(client, **_):
    company, contact = _net_client()
    opening = _net_opening(company)
    url = f"/api/v1/network/openings/{opening.pk}"
    _json(_as(client, contact), "patch", url, {"positions": 2})


def _net_transition(client, **_):
    company, _ = _net_client()
    opening = _net_opening(company)
    staff = _net_user("netstaff", staff=True)
    url = f"/api/v1/network/openings/{opening.pk}/transition"
    _json(_as(client, staff), "post", url, {"to": "approved"})


def _net_rank(client, **_):
    # Staff rank the whole network; an open role is all a ranking needs.
    company, _contact = _net_client()
    opening = _net_opening(company, status="open")
    staff = _net_user("netstaff2", staff=True)
    _json(_as(client, staff), "post", f"/api/v1/matching/openings/{opening.pk}/rankings")


DRIVERS = {
    ("POST", "/api/v1/matching/openings/{opening_id}/rankings"): _net_rank,
    ("POST", "/api/v1/network/members"): _net_apply,
    ("POST", "/api/v1/network/members/{member_id}/decision"): _net_decide_member,
    ("POST", "/api/v1/network/members/{member_id}/renewal"): _net_renew,
    ("POST", "/api/v1/network/memberships/{membership_id}/activate"): _net_activate,
    ("POST", "/api/v1/network/memberships/{membership_id}/cancel"): _net_cancel,
    ("POST", "/api/v1/network/guides/{slug}/complete"): _net_guide,
    ("POST", "/api/v1/network/clients"): _net_create_client,
    ("PATCH", "/api/v1/network/clients/{client_id}"): _net_patch_client,
    ("POST", "/api/v1/network/clients/{client_id}/decision"): _net_decide_client,
    ("POST", "/api/v1/network/clients/{client_id}/contacts"): _net_contact,
    ("POST", "/api/v1/network/candidates"): _net_add_candidate,
    ("PATCH", "/api/v1/network/candidates/{candidate_id}"): _net_patch_candidate,
    ("POST", "/api/v1/network/candidates/{candidate_id}/merge"): _net_merge,
    ("POST", "/api/v1/network/candidates/{candidate_id}/invitation"): _net_invite,
    ("POST", "/api/v1/network/representation-requests"): _net_request,
    ("POST", "/api/v1/network/representation-requests/{request_id}/answer"): _net_answer,
    ("POST", "/api/v1/network/candidates/{candidate_id}/consents"): _net_consent,
    ("POST", "/api/v1/network/consents/{consent_id}/withdraw"): _net_withdraw,
    ("POST", "/api/v1/network/candidates/{candidate_id}/workbench-evidence"): (
        _net_workbench_evidence
    ),
    ("POST", "/api/v1/network/openings"): _net_create_opening,
    ("PATCH", "/api/v1/network/openings/{opening_id}"): _net_patch_opening,
    ("POST", "/api/v1/network/openings/{opening_id}/transition"): _net_transition,
}
