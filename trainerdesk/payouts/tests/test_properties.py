"""Property tests: a SEPA file's amounts are the payouts' cents exactly (each InstdAmt
read back, CtrlSum the sum), and camt amounts read back to the cents written."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from trainerdesk.payouts import camt, sepa
from trainerdesk.payouts.tests.statements import statement

NS = {"p": sepa.NAMESPACE}
CREDITOR = sepa.Account(name="Mira Member", iban="DE89370400440532013000", bic="COBADEFFXXX")


def _cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    assert len(frac) == 2
    return int(whole) * 100 + int(frac)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=sepa.MAX_AMOUNT_CENTS), min_size=1, max_size=8))
def test_file_amounts_are_the_cents(amounts):
    transfers = [
        sepa.Transfer(f"TD{i:032x}", cents, "EUR", CREDITOR, "payout")
        for i, cents in enumerate(amounts)
    ]
    xml = sepa.build_pain001(
        debtor=CREDITOR,
        transfers=transfers,
        message_id="TD-BATCH-9",
        created_at=datetime.datetime(2026, 12, 4, tzinfo=datetime.UTC),
        execution_date=datetime.date(2026, 12, 7),
    )
    root = etree.fromstring(xml)
    written = [_cents(t) for t in root.xpath("//p:InstdAmt/text()", namespaces=NS)]
    assert written == amounts
    total = root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS)
    assert _cents(total) == sum(amounts)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_camt_amounts_read_back_exactly(cents):
    text = f"{cents // 100}.{cents % 100:02d}".encode()
    data = statement().replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">' + text + b"</Amt>"
    )
    assert camt.parse_camt053(data).entries[0].amount_cents == cents
