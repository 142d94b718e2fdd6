import datetime
import hashlib

import pytest
from django.utils import timezone

from trainerdesk.contracts import services
from trainerdesk.contracts.models import Acceptance, Contract, ContractTemplate
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services as network
from trainerdesk.network.models import Opening


def _text(contract):
    return " ".join(contract.html.split())


def test_default_member_agreement_says_fee_commission_law_and_courts(applicant, staff, events):
    contract = services.draft_contract(kind="member_agreement", member=applicant, by=staff)
    text = _text(contract)
    assert "€177.00 per year" in text and "50% of the placement fee" in text
    assert "law of Austria" in text and "courts of Vienna" in text
    assert "Ann &lt;Applicant&gt;" in text  # the member's name, escaped
    assert contract.status == "draft" and contract.version.number == 1
    assert contract.values["member.display_name"] == "Ann <Applicant>"
    assert set(contract.values) == set(contract.version.placeholders)
    assert events() == ["contracts.contract.draft"]


def test_pdf_hash_stored_is_the_hash_of_the_bytes(applicant, staff):
    contract = services.draft_contract(kind="member_agreement", member=applicant, by=staff)
    contract.refresh_from_db()
    data = bytes(contract.pdf)
    assert data.startswith(b"%PDF-")
    assert contract.pdf_sha256 == hashlib.sha256(data).hexdigest()


def test_framework_and_role_terms_read_from_the_client_and_the_role(newclient, role, staff):
    framework = services.draft_contract(kind="client_framework", client=newclient, by=staff)
    assert "Initech *Holdings* GmbH" in _text(framework)  # a value is never Markdown
    assert "Ring 1, 1010 Wien, AT" in _text(framework)
    assert "law of Austria" in _text(framework) and "courts of Vienna" in _text(framework)
    terms = services.draft_contract(kind="role_terms", opening=role, by=staff)
    text = _text(terms)
    assert "20% of the candidate&#x27;s annualised first-year pay" in text
    assert "90 days from the candidate's start" in text and "Medical NER annotator" in text
    assert (terms.client, terms.opening) == (newclient, role)
    flat = Opening.objects.filter(pk=role.pk)
    flat.update(fee_type="flat", fee_basis_points=None, fee_flat_cents=150000, guarantee_days=60)
    terms = services.draft_contract(kind="role_terms", opening=flat.get(), by=staff)
    assert "a flat fee of €1,500.00" in _text(terms) and "60 days" in _text(terms)


def test_a_missing_value_refuses_the_draft_naming_it(role, staff):
    Opening.objects.filter(pk=role.pk).update(fee_type="", fee_basis_points=None)
    role.refresh_from_db()
    with pytest.raises(InvalidInput, match=r"\{\{ opening.fee \}\}: no value"):
        services.draft_contract(kind="role_terms", opening=role, by=staff)
    assert not Contract.objects.filter(opening=role).exists()


def test_parties_must_fit_the_kind_and_only_staff_draft(applicant, newclient, member, staff):
    with pytest.raises(InvalidInput, match="member agreement"):
        services.draft_contract(kind="member_agreement", client=newclient, by=staff)
    with pytest.raises(InvalidInput, match="framework"):
        services.draft_contract(
            kind="client_framework", client=newclient, member=applicant, by=staff
        )
    with pytest.raises(InvalidInput, match="kind"):
        services.draft_contract(kind="nda", member=applicant, by=staff)
    with pytest.raises(services.NotAllowed):
        services.draft_contract(kind="member_agreement", member=applicant, by=member)


def test_a_new_version_never_changes_a_signed_contract(member, staff, events):
    signed = Contract.objects.get(member=member.network_member, status="signed")
    before = (signed.version_id, signed.html, bytes(signed.pdf), signed.pdf_sha256)
    template = ContractTemplate.objects.get(kind="member_agreement")
    body = template.latest_version().body.replace("independent recruiter", "freelance recruiter")
    v2 = services.publish_template_version(template=template, body=body, by=staff)
    assert v2.number == 2 and template.versions.count() == 2
    signed.refresh_from_db()
    assert (signed.version_id, signed.html, bytes(signed.pdf), signed.pdf_sha256) == before
    fresh = services.draft_contract(kind="member_agreement", member=member.network_member, by=staff)
    assert fresh.version == v2 and "freelance recruiter" in fresh.html
    assert fresh.pdf_sha256 != signed.pdf_sha256
    assert "freelance recruiter" not in signed.html
    assert events() == ["contracts.version.publish", "contracts.contract.draft"]
    with pytest.raises(services.NotAllowed):
        services.publish_template_version(template=template, body=body, by=member)


def test_accept_records_the_evidence(sent, member, events):
    acceptance = services.accept_contract(
        contract=sent, user=member, ip="192.0.2.7", user_agent="Firefox/140",
        seen_sha256=sent.pdf_sha256, by=member,
    )  # fmt: skip
    sent.refresh_from_db()
    assert sent.status == "signed" and sent.signed_at
    assert (acceptance.user, acceptance.ip, acceptance.user_agent) == (
        member,
        "192.0.2.7",
        "Firefox/140",
    )
    assert acceptance.document_sha256 == sent.pdf_sha256
    assert acceptance.document_sha256 == hashlib.sha256(bytes(sent.pdf)).hexdigest()
    assert events() == ["contracts.contract.accept"]


def test_a_stale_hash_is_refused_and_nothing_written(sent, member, events):
    stale = "0" * 64
    with pytest.raises(ConflictError, match="not this contract's current document"):
        services.accept_contract(
            contract=sent, user=member, ip=None, user_agent="", seen_sha256=stale, by=member
        )
    with pytest.raises(InvalidInput, match="sha256"):
        services.accept_contract(
            contract=sent, user=member, ip=None, user_agent="", seen_sha256="abc", by=member
        )
    sent.refresh_from_db()
    assert sent.status == "sent" and not sent.acceptances.exists() and events() == []


def test_only_the_party_accepts_for_themselves(sent, member, other_member, client_user, staff):
    for user in (other_member, client_user, staff):
        with pytest.raises(services.NotAllowed):
            services.accept_contract(
                contract=sent, user=user, ip=None, user_agent="",
                seen_sha256=sent.pdf_sha256, by=user,
            )  # fmt: skip
    with pytest.raises(services.NotAllowed, match="for themselves"):
        services.accept_contract(
            contract=sent, user=member, ip=None, user_agent="",
            seen_sha256=sent.pdf_sha256, by=staff,
        )  # fmt: skip
    assert not Acceptance.objects.filter(contract=sent).exists()


def test_an_address_that_is_not_one_is_not_stored(sent, member):
    acceptance = services.accept_contract(
        contract=sent, user=member, ip="not-an-ip, 10.0.0.1", user_agent="x" * 600,
        seen_sha256=sent.pdf_sha256.upper(), by=member,
    )  # fmt: skip
    acceptance.refresh_from_db()
    assert acceptance.ip is None and len(acceptance.user_agent) == 500


def test_any_contact_of_the_client_accepts_for_it(newclient, staff):
    from trainerdesk.network.models import ClientContact

    contract = services.draft_contract(kind="client_framework", client=newclient, by=staff)
    contract = services.send_contract(contract=contract, by=staff)
    contact = ClientContact.objects.get(client=newclient).user
    services.accept_contract(
        contract=contract, user=contact, ip="2001:db8::1", user_agent="x",
        seen_sha256=contract.pdf_sha256, by=contact,
    )  # fmt: skip
    contract.refresh_from_db()
    assert contract.status == "signed"


def test_state_machine(applicant, staff, events):
    contract = services.draft_contract(kind="member_agreement", member=applicant, by=staff)
    user = applicant.user
    with pytest.raises(ConflictError, match="not waiting for signature"):
        services.accept_contract(
            contract=contract, user=user, ip=None, user_agent="",
            seen_sha256=contract.pdf_sha256, by=user,
        )  # fmt: skip
    with pytest.raises(ConflictError, match="draft cannot become active"):
        services.activate_contract(contract=contract, by=staff)
    services.send_contract(contract=contract, by=staff)
    with pytest.raises(ConflictError, match="sent cannot become sent"):
        services.send_contract(contract=contract, by=staff)
    with pytest.raises(services.NotAllowed):
        services.send_contract(contract=contract, by=user)
    services.accept_contract(
        contract=contract, user=user, ip=None, user_agent="",
        seen_sha256=contract.pdf_sha256, by=user,
    )  # fmt: skip
    with pytest.raises(ConflictError, match="not waiting for signature"):
        services.accept_contract(
            contract=contract, user=user, ip=None, user_agent="",
            seen_sha256=contract.pdf_sha256, by=user,
        )  # fmt: skip
    active = services.activate_contract(
        contract=contract, by=staff, today=datetime.date(2027, 1, 5)
    )
    assert (active.status, active.starts_on) == ("active", datetime.date(2027, 1, 5))
    with pytest.raises(InvalidInput, match="reason"):
        services.terminate_contract(contract=contract, reason=" ", by=staff)
    ended = services.terminate_contract(contract=contract, reason="member left", by=staff)
    assert ended.status == "terminated" and ended.ended_at
    with pytest.raises(ConflictError, match="none \\(final\\)"):
        services.terminate_contract(contract=contract, reason="again", by=staff)
    assert events() == [
        "contracts.contract.draft",
        "contracts.contract.send",
        "contracts.contract.accept",
        "contracts.contract.activate",
        "contracts.contract.terminate",
    ]


def test_expiry_sweep_is_idempotent(applicant, staff, events):
    today = timezone.localdate()
    contract = services.sign_on_behalf(
        kind="member_agreement", member=applicant, signer=applicant.user, user_agent="t",
        starts_on=today, ends_on=today + datetime.timedelta(days=30), by=staff,
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="ends_on"):
        services.draft_contract(
            kind="member_agreement", member=applicant, starts_on=today, ends_on=today, by=staff
        )
    start = len(events())
    end = timezone.now() + datetime.timedelta(days=30)
    assert services.sweep_contracts(end) == services.SweepResult(0)
    later = end + datetime.timedelta(days=1)
    assert services.sweep_contracts(later) == services.SweepResult(1)
    assert services.sweep_contracts(later) == services.SweepResult(0)
    contract.refresh_from_db()
    assert contract.status == "expired" and contract.ended_at
    assert events()[start:] == ["contracts.contract.expire"]


# -- the network's gates ----------------------------------------------------------------


def test_membership_activation_needs_a_signed_member_agreement(applicant, staff):
    period = applicant.memberships.get()
    with pytest.raises(ConflictError, match="no signed member agreement"):
        network.activate_membership(membership=period, by=staff)
    contract = services.draft_contract(kind="member_agreement", member=applicant, by=staff)
    services.send_contract(contract=contract, by=staff)
    with pytest.raises(ConflictError, match="no signed member agreement"):  # sent is not signed
        network.activate_membership(membership=period, by=staff)
    period.refresh_from_db()
    assert period.status == "pending"
    user = applicant.user
    services.accept_contract(
        contract=contract, user=user, ip=None, user_agent="",
        seen_sha256=contract.pdf_sha256, by=user,
    )  # fmt: skip
    assert network.activate_membership(membership=period, by=staff).status == "active"


def test_a_terminated_agreement_does_not_count(applicant, staff):
    contract = services.sign_on_behalf(
        kind="member_agreement", member=applicant, signer=applicant.user, user_agent="t",
        by=staff,
    )  # fmt: skip
    services.terminate_contract(contract=contract, reason="test", by=staff)
    with pytest.raises(ConflictError, match="no signed member agreement"):
        network.activate_membership(membership=applicant.memberships.get(), by=staff)


def test_a_role_opens_only_under_a_signed_framework_agreement(newclient, role, staff):
    with pytest.raises(ConflictError, match="no signed framework agreement"):
        network.transition_opening(opening=role, to="open", by=staff)
    role.refresh_from_db()
    assert role.status == "approved"
    # Role terms are not the framework agreement.
    contact = newclient.contacts.get().user
    services.sign_on_behalf(
        kind="role_terms", opening=role, signer=contact, user_agent="t", by=staff
    )
    with pytest.raises(ConflictError, match="no signed framework agreement"):
        network.transition_opening(opening=role, to="open", by=staff)
    services.sign_on_behalf(
        kind="client_framework", client=newclient, signer=contact, user_agent="t", by=staff
    )
    assert network.transition_opening(opening=role, to="open", by=contact).status == "open"


def test_another_clients_agreement_does_not_open_a_role(role, client_user, staff):
    # client_user's company (client_company) has a signed framework; the role is Initech's.
    with pytest.raises(ConflictError, match="no signed framework agreement"):
        network.transition_opening(opening=role, to="open", by=staff)


def test_network_demo_signs_its_contracts_and_removes_them(db):
    from trainerdesk.network import demo

    demo.load_network_demo()
    kinds = sorted(Contract.objects.values_list("kind", "status"))
    assert kinds == [
        ("client_framework", "signed"),
        ("member_agreement", "signed"),
        ("member_agreement", "signed"),
    ]
    assert Opening.objects.filter(status="open").count() == 2
    assert all(a.user_agent.startswith("trainerdesk demo") for a in Acceptance.objects.all())
    demo.remove_network_demo()
    assert not Contract.objects.exists() and not Acceptance.objects.exists()


def test_sweep_command(applicant, staff, capsys):
    from django.core.management import CommandError, call_command

    services.sign_on_behalf(
        kind="member_agreement", member=applicant, signer=applicant.user, user_agent="t",
        starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 6, 30), by=staff,
    )  # fmt: skip
    call_command("sweep_contracts", "--today", "2026-06-30")
    call_command("sweep_contracts", "--today", "2026-07-01")
    assert capsys.readouterr().out == "0 contract(s) expired\n1 contract(s) expired\n"
    with pytest.raises(CommandError, match="--today"):
        call_command("sweep_contracts", "--today", "soon")
