"""Small camt.053 statements for the tests: one booked entry per (EndToEndId, cents,
"debit" | "return"), for the platform's account."""

from __future__ import annotations


def camt(entries: list[tuple[str, int, str]], *, statement_id: str = "TEST-1") -> bytes:
    rows = []
    for key, cents, kind in entries:
        amount = f'<Amt Ccy="EUR">{cents // 100}.{cents % 100:02d}</Amt>'
        if kind == "debit":
            rows.append(
                f"<Ntry>{amount}<CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>"
                "<BookgDt><Dt>2026-12-07</Dt></BookgDt><AcctSvcrRef>REF-D</AcctSvcrRef>"
                f"<NtryDtls><TxDtls><Refs><EndToEndId>{key}</EndToEndId></Refs>"
                f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls></TxDtls></NtryDtls></Ntry>"
            )
        else:
            rows.append(
                f"<Ntry>{amount}<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
                "<BookgDt><Dt>2026-12-09</Dt></BookgDt>"
                "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd>"
                "</Fmly></Domn></BkTxCd>"
                f"<NtryDtls><TxDtls><Refs><EndToEndId>{key}</EndToEndId></Refs>"
                f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>"
                "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"
            )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>TEST</MsgId><CreDtTm>2026-12-09T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>AT592011100000123456</IBAN></Id></Acct>"
        + "".join(rows)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()
