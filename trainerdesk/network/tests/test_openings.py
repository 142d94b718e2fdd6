import pytest

from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services

BASE = {
    "title": "Raters",
    "task_type": "sentiment",
    "domain": "reviews",
    "contract_type": "freelance",
    "hours_per_week": 10,
    "pay_cents": 2500,
}


def test_create_with_requirements(opening, events):
    kinds = list(opening.requirements.values_list("kind", "task_type", "domain", "threshold"))
    assert kinds == [("language", "", "", None), ("accuracy", "text_classification", "news", 0.8)]
    assert opening.status == "draft" and events() == []  # fixture events are before


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"fee_type": "percent"}, "fee_basis_points"),
        ({"fee_type": "flat"}, "fee_flat_cents"),
        ({"fee_type": "flat", "fee_flat_cents": 100, "fee_basis_points": 2000}, "fee_basis_points"),
        ({"fee_type": "percent", "fee_basis_points": 20000}, "fee_basis_points"),
        ({"fee_type": "bonus"}, "fee_type"),
    ],
)
def test_fee_terms_without_amount_refused(client_company, client_user, terms, field):
    with pytest.raises(InvalidInput, match=field):
        services.create_opening(client=client_company, values=BASE | terms, by=client_user)


@pytest.mark.parametrize(
    ("req", "field"),
    [
        ({"kind": "language", "language": "xx", "level": "C1"}, "requirements[0].language"),
        ({"kind": "accuracy", "threshold": 1.5}, "requirements[0].threshold"),
        ({"kind": "lead_time"}, "requirements[0].threshold"),
        ({"kind": "availability"}, "requirements[0].hours"),
        ({"kind": "work_authorisation", "region": "Mars"}, "requirements[0].region"),
    ],
)
def test_bad_requirements(client_company, client_user, req, field):
    with pytest.raises(InvalidInput, match=field.replace("[", r"\[").replace("]", r"\]")):
        services.create_opening(
            client=client_company, values=BASE, requirements=[req], by=client_user
        )


def test_only_contacts_or_staff_create(client_company, member, other_client):
    with pytest.raises(ConflictError):
        services.create_opening(client=client_company, values=BASE, by=member)
    globex = other_client.contacts.get().user
    with pytest.raises(ConflictError):
        services.create_opening(client=client_company, values=BASE, by=globex)


def test_transitions(opening, staff, client_user, events):
    with pytest.raises(services.NotAllowed):
        services.transition_opening(opening=opening, to="approved", by=client_user)
    with pytest.raises(ConflictError, match="cannot become open"):
        services.transition_opening(opening=opening, to="open", by=client_user)
    opening = services.transition_opening(opening=opening, to="approved", by=staff)
    assert opening.approved_by == staff
    for to in ("open", "on_hold", "open", "filled"):
        opening = services.transition_opening(opening=opening, to=to, by=client_user)
    with pytest.raises(ConflictError, match="none \\(final\\)"):
        services.transition_opening(opening=opening, to="open", by=client_user)
    assert events().count("network.opening.transition") == 5


def test_no_approval_without_fee_terms(client_company, client_user, staff):
    draft = services.create_opening(client=client_company, values=BASE, by=client_user)
    with pytest.raises(ConflictError, match="fee_type"):
        services.transition_opening(opening=draft, to="approved", by=staff)


def test_editing_an_approved_role_sends_it_back(opening, staff, client_user, events):
    opening = services.transition_opening(opening=opening, to="approved", by=staff)
    edited = services.update_opening(
        opening=opening,
        values={"pay_cents": 3500},
        requirements=[{"kind": "availability", "hours": 20}],
        by=client_user,
    )
    assert edited.status == "draft" and edited.pay_cents == 3500
    assert list(edited.requirements.values_list("kind", flat=True)) == ["availability"]
    services.transition_opening(opening=edited, to="cancelled", by=client_user)
    with pytest.raises(ConflictError, match="cannot be changed"):
        services.update_opening(opening=edited, values={"pay_cents": 1}, by=client_user)
    assert "network.opening.update" in events()


@pytest.mark.parametrize("field", ["pay_currency", "fee_currency"])
def test_a_currency_outside_the_money_table_is_refused(client_company, client_user, field):
    # pycountry knows every ISO 4217 code (JPY, KWD with three decimals); amounts are kept
    # in minor units, so only lib/money's table with its exponents is accepted.
    with pytest.raises(InvalidInput, match=f"{field}: 'JPY' is not a supported currency"):
        services.create_opening(client=client_company, values=BASE | {field: "jpy"}, by=client_user)
    opening = services.create_opening(
        client=client_company, values=BASE | {field: "chf"}, by=client_user
    )
    assert getattr(opening, field) == "CHF"
