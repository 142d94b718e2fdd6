"""The VAT rules as a table: who pays Austrian VAT, who gets reverse charge, who is
outside the EU; VAT ids checked by format and checksum, errors naming the field."""

import pytest

from trainerdesk.invoicing import vat
from trainerdesk.lib.errors import InvalidInput

T = vat.Treatment

CASES = [
    # country, business, vat id, treatment, rate
    ("AT", True, "ATU12345675", T.AUSTRIAN_VAT, 2000),  # Austrian business: domestic
    ("AT", False, "", T.AUSTRIAN_VAT, 2000),  # Austrian private person
    ("DE", True, "DE136695976", T.REVERSE_CHARGE, 0),  # German business with VAT id
    ("DE", True, "de 136 695 976", T.REVERSE_CHARGE, 0),  # spelled loosely: compacted
    ("DE", True, "", T.AUSTRIAN_VAT, 2000),  # business without VAT id: B2C rule
    ("DE", False, "", T.AUSTRIAN_VAT, 2000),  # German private person: Art. 45
    ("DE", False, "DE136695976", T.AUSTRIAN_VAT, 2000),  # VAT id but not acting as business
    ("GR", True, "EL094259216", T.REVERSE_CHARGE, 0),  # Greece: ISO GR, VAT prefix EL
    ("FR", True, "FR40303265045", T.REVERSE_CHARGE, 0),
    ("CH", True, "CHE-116.281.710", T.OUTSIDE_EU, 0),  # Swiss: printed as given
    ("US", False, "", T.OUTSIDE_EU, 0),
    ("GB", True, "GB980780684", T.OUTSIDE_EU, 0),  # the UK left the EU VAT area
]


@pytest.mark.parametrize(("country", "business", "vat_id", "treatment", "rate"), CASES)
def test_treatment_table(country, business, vat_id, treatment, rate):
    decision = vat.decide(customer_country=country, is_business=business, vat_id=vat_id)
    assert decision.treatment == treatment
    assert decision.rate_basis_points == rate
    assert decision.vies_checked is False
    if treatment == T.REVERSE_CHARGE:
        assert "Reverse charge" in decision.mention
        assert "Art. 196" in decision.mention and "Art. 44" in decision.mention
        assert decision.customer_vat_id == vat_id.replace(" ", "").upper()
    elif treatment == T.OUTSIDE_EU:
        assert "outside the European Union" in decision.mention
        assert decision.customer_vat_id == vat_id


@pytest.mark.parametrize(
    ("country", "vat_id", "words"),
    [
        ("DE", "DE136695977", "checksum"),  # last digit off
        ("AT", "ATU12345676", "checksum"),
        ("DE", "DE12", "not a valid EU VAT id"),
        ("DE", "ATU12345675", "not a VAT id of DE"),  # valid, but Austrian
        ("GR", "GR094259216", "should start with EL"),  # Greek ids start EL
    ],
)
def test_bad_vat_id_names_the_field(country, vat_id, words):
    with pytest.raises(InvalidInput) as exc:
        vat.decide(customer_country=country, is_business=True, vat_id=vat_id, field="client vat_id")
    message = str(exc.value)
    assert message.startswith("client vat_id:")
    assert words in message


@pytest.mark.parametrize("country", ["de", "DEU", "", None, "D1"])
def test_bad_country_names_the_field(country):
    with pytest.raises(InvalidInput, match="customer_country"):
        vat.decide(customer_country=country, is_business=False)


def test_supplier_must_be_austrian():
    with pytest.raises(InvalidInput, match="supplier_country"):
        vat.decide(customer_country="DE", is_business=True, supplier_country="DE")


@pytest.mark.parametrize(
    ("net", "vat_cents"),
    [
        (17700, 3540),
        (1, 0),  # 0.2 cent
        (2, 0),  # 0.4
        (3, 1),  # 0.6
        (5, 1),  # 1.0
        (12, 2),  # 2.4
        (13, 3),  # 2.6
        (25, 5),
        (7, 1),  # 1.4
        (8, 2),  # 1.6
        (624000, 124800),
        (-17700, -3540),  # a credit note mirrors the invoice
        (-13, -3),
    ],
)
def test_vat_amount_half_up_on_the_total(net, vat_cents):
    assert vat.vat_amount(net, 2000) == vat_cents


def test_half_cent_rounds_up():
    # At 20 % a cent total never gives exactly half a cent; at other rates it does:
    # 10 % of 5 cents is 0.5 -> 1, and the credit's -0.5 -> -1.
    assert vat.vat_amount(5, 1000) == 1
    assert vat.vat_amount(-5, 1000) == -1
    assert vat.vat_amount(20, 750) == 2  # 1.5 -> 2


def test_eu_member_states_are_27_and_exclude_xi():
    assert len(vat.EU_MEMBER_STATES) == 27
    assert "XI" not in vat.EU_MEMBER_STATES and "GB" not in vat.EU_MEMBER_STATES
    assert "GR" in vat.EU_MEMBER_STATES and "EL" not in vat.EU_MEMBER_STATES


def test_vat_module_imports_no_django():
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(vat.__file__).read_text())
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [node])
        if hasattr(alias, "name")
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name and name.startswith("django") for name in names)
