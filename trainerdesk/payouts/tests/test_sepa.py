"""The pain.001 file: valid against the ISO 20022 XSD sepaxml ships (checked here with
lxml and xmlschema, independently of the module's own check), amounts from integer cents,
EndToEndId the idempotency key, and IBAN/BIC errors naming the field."""

from __future__ import annotations

import datetime

import pytest
import xmlschema
from lxml import etree

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.payouts import sepa

CREATED = datetime.datetime(2026, 12, 4, 2, 0, tzinfo=datetime.UTC)
EXECUTE = datetime.date(2026, 12, 7)
NS = {"p": sepa.NAMESPACE}


def _creditor(iban="DE89 3704 0044 0532 0130 00", bic="", name="Mira Member"):
    return sepa.check_account(name=name, iban=iban, bic=bic)


def _file(transfers, message_id="TD-BATCH-1"):
    return sepa.build_pain001(
        debtor=sepa.debtor_account(),
        transfers=transfers,
        message_id=message_id,
        created_at=CREATED,
        execution_date=EXECUTE,
    )


def _transfers():
    return [
        sepa.Transfer("TD" + "a" * 32, 12345, "EUR", _creditor(), "TrainerDesk payout 1"),
        sepa.Transfer(
            "TD" + "b" * 32,
            5,
            "EUR",
            _creditor("AT55 1200 0000 0065 4321", "", "Otto Öther"),
            "TrainerDesk payout 2",
        ),
    ]


def test_file_validates_against_the_shipped_xsd_with_lxml_and_xmlschema():
    xml = _file(_transfers())

    schema = etree.XMLSchema(etree.parse(sepa.schema_path()))
    document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False))
    assert schema.validate(document), schema.error_log
    xmlschema.XMLSchema(sepa.schema_path()).validate(xml.decode())


def test_amounts_keys_and_totals_come_from_integer_cents():
    root = etree.fromstring(_file(_transfers()))

    amounts = root.xpath("//p:CdtTrfTxInf/p:Amt/p:InstdAmt/text()", namespaces=NS)
    keys = root.xpath("//p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()", namespaces=NS)
    assert amounts == ["123.45", "0.05"]
    assert keys == ["TD" + "a" * 32, "TD" + "b" * 32]
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "123.50"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == "TD-BATCH-1"
    # BICs derived from the registry when the member left them out; names transliterated.
    assert root.xpath("//p:CdtrAgt//p:BICFI/text()", namespaces=NS) == [
        "COBADEFFXXX",
        "BKAUATWWXXX",
    ]
    assert root.xpath("//p:Cdtr/p:Nm/text()", namespaces=NS) == ["Mira Member", "Otto Other"]


def test_same_batch_gives_the_same_bytes():
    assert _file(_transfers()) == _file(_transfers())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount_cents": 12.5}, "transfers[0].amount_cents: must be an integer"),
        ({"amount_cents": 0}, "transfers[0].amount_cents: must be between 1"),
        ({"currency": "USD"}, "transfers[0].currency: a SEPA credit transfer is in EUR"),
        ({"currency": "XXX"}, "transfers[0].currency: 'XXX' is not a supported currency"),
        ({"end_to_end_id": "x" * 36}, "transfers[0].end_to_end_id:"),
    ],
)
def test_bad_transfers_are_refused_naming_the_field(change, message):
    good = _transfers()[0]
    values = {**good.__dict__, **change}
    with pytest.raises(InvalidInput) as caught:
        _file([sepa.Transfer(**values)])
    assert str(caught.value).startswith(message), caught.value


def test_a_key_twice_is_refused():
    one = _transfers()[0]
    with pytest.raises(InvalidInput, match="end_to_end_id appears twice"):
        _file([one, one])


def test_xsd_check_catches_an_invalid_document():
    xml = _file(_transfers()).replace(b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>NOPE</ChrgBr>")
    with pytest.raises(InvalidInput, match="file: not valid pain.001.001.09"):
        sepa.validate_pain001(xml)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"iban": "DE89370400440532013001"}, "iban: 'DE89370400440532013001' is not a valid IBAN"),
        ({"iban": ""}, "iban: an IBAN is required"),
        ({"iban": "BR1800360305000010009795493C1"}, "iban: BR1800360305000010009795493C1 is in BR"),
        ({"bic": "COBA"}, "bic: 'COBA' is not a valid BIC"),
        ({"bic": "GIBAATWWXXX"}, "bic: GIBAATWWXXX is not the bank of IBAN DE89370400440532013000"),
        ({"iban": "AT611904300234573201"}, "bic: a BIC is required"),
        ({"name": " "}, "holder_name: the account holder's name is required"),
    ],
)
def test_account_errors_name_the_field(kwargs, message):
    values = {"name": "Mira Member", "iban": "DE89370400440532013000", "bic": "", **kwargs}
    with pytest.raises(InvalidInput) as caught:
        sepa.check_account(**values)
    assert any(error.startswith(message) for error in caught.value.errors), caught.value.errors


def test_account_accepts_spaces_and_lower_case_and_a_branch_bic():
    account = sepa.check_account(
        name="Mira Member", iban="de89 3704 0044 0532 0130 00", bic="cobadeff120"
    )
    assert account.iban == "DE89370400440532013000"
    assert account.bic == "COBADEFF120"


def test_a_bad_debtor_setting_names_the_variable(settings):
    settings.PAYOUT_DEBTOR_IBAN = "AT00"
    with pytest.raises(InvalidInput) as caught:
        sepa.debtor_account()
    assert str(caught.value).startswith("settings: TRAINERDESK_PAYOUT_DEBTOR_iban: 'AT00'")
