"""Reading camt.053 statements: batch bookings split per transaction, returns with their
reason code, pending and unrelated entries kept as `other`, hostile XML refused."""

from __future__ import annotations

import datetime

import pytest

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.payouts import camt
from trainerdesk.payouts.tests.statements import statement


def test_entries_of_the_fixture():
    parsed = camt.parse_camt053(statement("KEYA", "KEYB", "KEYC"))

    assert parsed.iban == "AT592011100000123456"
    assert parsed.statement_id == "2026-12-09-AT592011100000123456"
    rows = [
        (e.end_to_end_id, e.amount_cents, e.currency, e.kind, e.booked_on, e.return_reason)
        for e in parsed.entries
    ]
    assert rows == [
        ("KEYA", 12345, "EUR", camt.PAID, datetime.date(2026, 12, 7), ""),
        ("KEYB", 5, "EUR", camt.PAID, datetime.date(2026, 12, 7), ""),
        ("KEYB", 5, "EUR", camt.RETURNED, datetime.date(2026, 12, 9), "AC04"),
        ("KEYC", 999, "EUR", camt.OTHER, datetime.date(2026, 12, 9), ""),
        ("", 17700, "EUR", camt.OTHER, datetime.date(2026, 12, 8), ""),
    ]
    assert parsed.entries[0].where == "Stmt[1]/Ntry[1]/TxDtls[1]"
    assert parsed.entries[2].bank_reference == "20261209-RTRN-0007"


def test_version_08_status_code_element():
    data = statement().replace(b"camt.053.001.02", b"camt.053.001.08")
    data = data.replace(b"<Sts>BOOK</Sts>", b"<Sts><Cd>BOOK</Cd></Sts>")
    kinds = [e.kind for e in camt.parse_camt053(data).entries]
    assert kinds == [camt.PAID, camt.PAID, camt.RETURNED, camt.OTHER, camt.OTHER]


def test_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>'
    )
    with pytest.raises(InvalidInput, match="file: refused"):
        camt.parse_camt053(bomb)


def test_external_entity_is_refused():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
    )
    with pytest.raises(InvalidInput, match="file: refused"):
        camt.parse_camt053(xxe)


TX_AMOUNT = b'<Amt Ccy="EUR">123.45</Amt>'
NTRY_AMOUNT = b'<Amt Ccy="EUR">123.50</Amt>'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (TX_AMOUNT, b'<Amt Ccy="EUR">123.455</Amt>', r"TxDtls\[1\]: Amt: 123.455 has more than 2"),
        (TX_AMOUNT, b'<Amt Ccy="EUR">1e3</Amt>', r"TxDtls\[1\]: Amt: '1e3' is not an amount"),
        (NTRY_AMOUNT, b'<Amt Ccy="XYZ">123.50</Amt>', r"Ntry\[1\]: Amt: currency 'XYZ'"),
        (b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>UP</CdtDbtInd>", "Ntry\\[1\\]: CdtDbtInd"),
        (b"xsd:camt.053.001.02", b"xsd:camt.052.001.02", "not a camt.053 statement"),
        (b"</Document>", b"", "not well-formed"),
    ],
)
def test_bad_statements_name_the_element(old, new, message):
    with pytest.raises(InvalidInput, match=message):
        camt.parse_camt053(statement().replace(old, new, 1))


def test_oversized_file_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(camt, "MAX_STATEMENT_BYTES", 100)
    with pytest.raises(InvalidInput, match="file: larger than"):
        camt.parse_camt053(statement())
