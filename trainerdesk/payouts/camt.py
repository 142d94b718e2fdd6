"""Bank statements (ISO 20022 camt.053, "BankToCustomerStatement") read into entries a
payout can be matched with. Pure Python, no models.

Safety: a statement is a file from outside, so it is parsed with defusedxml, which refuses
DTDs, entity declarations and external references (billion laughs, XXE); its size is
capped before parsing.

What the statement says about our credit transfers (the platform's account is the one the
statement is for):
- a booked debit (`CdtDbtInd` DBIT, `Sts` BOOK) carrying a transfer's EndToEndId: the
  transfer left the account, the payout is paid;
- a booked credit that is a return (`RtrInf` with its reason code, e.g. AC04 closed
  account, or the bank transaction code's sub-family RRTN, or `RvslInd` true) with the
  original EndToEndId: the money came back, the payout is returned;
- anything else (pending entries, other credits, entries without an EndToEndId) is
  `other`: listed to staff, never guessed at.

One entry may carry several transactions (a batch booking: `BtchBookg` true in the
pain.001 gives one debit for the whole file, with one `TxDtls` per transfer); each `TxDtls`
becomes its own `StatementEntry`, with its own amount (`AmtDtls/TxAmt/Amt`, or `Amt`, or
the entry's amount when it holds one transaction only).

Versions 001.02 (the common one) to 001.13 share these element names; the namespace is
read from the document and only its `camt.053.001.` prefix is checked.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.money import CURRENCY_EXPONENTS, minor_unit_exponent

MAX_STATEMENT_BYTES = 20 * 1024 * 1024
_NAMESPACE = re.compile(r"\{(urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2})\}Document")
_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")

PAID = "paid"
RETURNED = "returned"
OTHER = "other"


@dataclass(frozen=True)
class StatementEntry:
    """One transaction of a statement. `amount_cents` is positive; `kind` says which way
    (PAID: a booked debit, RETURNED: a booked return credit, OTHER). `where` names the
    element for messages (`Stmt[1]/Ntry[3]/TxDtls[2]`)."""

    where: str
    end_to_end_id: str
    amount_cents: int
    currency: str
    kind: str
    booked_on: datetime.date | None
    status: str
    return_reason: str
    bank_reference: str


@dataclass(frozen=True)
class Statement:
    statement_id: str
    iban: str
    entries: list[StatementEntry]


def _cents(text: str | None, currency: str | None, where: str) -> tuple[int, str]:
    if currency not in CURRENCY_EXPONENTS:
        raise InvalidInput([f"{where}: Amt: currency {currency!r} is not supported"])
    raw = (text or "").strip()
    if not _AMOUNT.fullmatch(raw):
        raise InvalidInput([f"{where}: Amt: {raw!r} is not an amount"])
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        raise InvalidInput([f"{where}: Amt: {raw!r} is not an amount"]) from None
    exponent = minor_unit_exponent(currency)
    scaled = value.scaleb(exponent)
    # Exact: more decimals than the currency has is an error, never rounded away.
    if scaled != scaled.to_integral_value():
        raise InvalidInput([f"{where}: Amt: {raw} has more than {exponent} decimals"])
    return int(scaled), currency


def _date(node: Any, ns: dict[str, str], where: str) -> datetime.date | None:
    if node is None:
        return None
    text = node.findtext("c:Dt", namespaces=ns) or node.findtext("c:DtTm", namespaces=ns)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise InvalidInput([f"{where}: BookgDt: {text!r} is not a date"]) from None


def _status(entry: Any, ns: dict[str, str]) -> str:
    # 001.02 writes <Sts>BOOK</Sts>, 001.08 and later <Sts><Cd>BOOK</Cd></Sts>.
    code = entry.findtext("c:Sts/c:Cd", namespaces=ns) or entry.findtext("c:Sts", namespaces=ns)
    return (code or "").strip()


def _is_return(entry: Any, tx: Any, ns: dict[str, str]) -> bool:
    if (entry.findtext("c:RvslInd", namespaces=ns) or "").strip() == "true":
        return True
    if tx is not None and tx.find("c:RtrInf", ns) is not None:
        return True
    for holder in (tx, entry):
        if holder is None:
            continue
        sub = holder.findtext("c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd", namespaces=ns)
        if (sub or "").strip() == "RRTN":
            return True
    return False


def parse_camt053(data: bytes) -> Statement:
    """The entries of a camt.053 file; InvalidInput naming the element for anything that
    is not a readable statement (nothing is half-read: it is all or an error)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    if len(data) > MAX_STATEMENT_BYTES:
        raise InvalidInput([f"file: larger than {MAX_STATEMENT_BYTES // (1024 * 1024)} MB"])
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvalidInput([f"file: refused ({type(exc).__name__}: DTDs and entities)"]) from None
    except ParseError as exc:
        raise InvalidInput([f"file: not well-formed XML ({exc})"]) from None
    match = _NAMESPACE.fullmatch(root.tag)
    if match is None:
        raise InvalidInput([f"file: not a camt.053 statement (root element {root.tag})"])
    ns = {"c": match.group(1)}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise InvalidInput(["file: BkToCstmrStmt/Stmt: the statement has no Stmt"])

    entries: list[StatementEntry] = []
    ids: list[str] = []
    iban = ""
    for s_index, stmt in enumerate(statements, start=1):
        ids.append((stmt.findtext("c:Id", namespaces=ns) or "").strip())
        iban = iban or (stmt.findtext("c:Acct/c:Id/c:IBAN", namespaces=ns) or "").strip()
        for e_index, entry in enumerate(stmt.findall("c:Ntry", ns), start=1):
            where = f"Stmt[{s_index}]/Ntry[{e_index}]"
            entries.extend(_entry(entry, ns, where))
    return Statement(statement_id=",".join(i for i in ids if i), iban=iban, entries=entries)


def _entry(entry: Any, ns: dict[str, str], where: str) -> list[StatementEntry]:
    amount_node = entry.find("c:Amt", ns)
    if amount_node is None:
        raise InvalidInput([f"{where}: Amt: missing"])
    entry_cents, entry_currency = _cents(amount_node.text, amount_node.get("Ccy"), where)
    direction = (entry.findtext("c:CdtDbtInd", namespaces=ns) or "").strip()
    if direction not in ("CRDT", "DBIT"):
        raise InvalidInput([f"{where}: CdtDbtInd: {direction!r} is neither CRDT nor DBIT"])
    status = _status(entry, ns)
    booked_on = _date(entry.find("c:BookgDt", ns), ns, where)
    entry_ref = (entry.findtext("c:AcctSvcrRef", namespaces=ns) or "").strip()
    transactions = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if not transactions:
        transactions = [None]

    out: list[StatementEntry] = []
    for t_index, tx in enumerate(transactions, start=1):
        tx_where = where if tx is None else f"{where}/TxDtls[{t_index}]"
        cents, currency = entry_cents, entry_currency
        if tx is not None:
            tx_amount = tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
            if tx_amount is None:
                tx_amount = tx.find("c:Amt", ns)
            if tx_amount is not None:
                cents, currency = _cents(tx_amount.text, tx_amount.get("Ccy"), tx_where)
            elif len(transactions) > 1:
                raise InvalidInput([f"{tx_where}: AmtDtls: a batch entry needs each amount"])
        key = ""
        reason = ""
        if tx is not None:
            key = (tx.findtext("c:Refs/c:EndToEndId", namespaces=ns) or "").strip()
            reason = (tx.findtext("c:RtrInf/c:Rsn/c:Cd", namespaces=ns) or "").strip()
            if not reason:
                reason = (tx.findtext("c:RtrInf/c:Rsn/c:Prtry", namespaces=ns) or "").strip()
        if key == "NOTPROVIDED":
            key = ""
        kind = OTHER
        if status == "BOOK" and key:
            if direction == "DBIT" and not _is_return(entry, tx, ns):
                kind = PAID
            elif direction == "CRDT" and _is_return(entry, tx, ns):
                kind = RETURNED
        reference = ""
        if tx is not None:
            reference = (tx.findtext("c:Refs/c:AcctSvcrRef", namespaces=ns) or "").strip()
        out.append(
            StatementEntry(
                where=tx_where,
                end_to_end_id=key,
                amount_cents=cents,
                currency=currency,
                kind=kind,
                booked_on=booked_on,
                status=status,
                return_reason=reason,
                bank_reference=reference or entry_ref,
            )
        )
    return out
