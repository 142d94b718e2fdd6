"""Database triggers that keep issued invoices immutable, per database vendor (installed
by migration 0002; a change here needs a new migration that drops and re-creates them).

Once an invoice is not a draft, an UPDATE may change only its `status` (issued → paid /
credited; never back to draft) and who created/issued it (those are SET NULL when a
user is erased, and are not printed); every other column is refused. Lines of an
issued invoice refuse INSERT and UPDATE. DELETE is left to the ORM's PROTECT foreign keys
(a payment, a credit note, the ledger point at issued invoices): a DELETE trigger would
also refuse the test suite's flush on SQLite, which has no TRUNCATE.
"""

INVOICE = "invoicing_invoice"
LINE = "invoicing_invoiceline"

FROZEN = (
    "kind", "series_id", "sequence", "number", "issue_date", "supply_date",
    "supply_period_end", "supplier_name", "supplier_address", "supplier_country",
    "supplier_vat_id", "customer_name", "customer_address", "customer_country",
    "customer_vat_id", "currency", "net_cents", "vat_rate_basis_points", "vat_cents",
    "gross_cents", "vat_treatment", "vat_mention", "vies_checked", "placement_id",
    "membership_id", "client_id", "member_id", "credit_note_for_id", "reason", "pdf",
    "pdf_sha256", "created_at", "issued_at",
)  # fmt: skip

MESSAGE = "an issued invoice is immutable; correct it with a credit note"

_sqlite_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
SQLITE_CREATE = [
    f"""
CREATE TRIGGER invoice_issued_immutable BEFORE UPDATE ON {INVOICE}
WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR {_sqlite_changed})
BEGIN SELECT RAISE(ABORT, '{INVOICE}: {MESSAGE}'); END
""",
    f"""
CREATE TRIGGER invoice_line_insert_immutable BEFORE INSERT ON {LINE}
WHEN (SELECT status FROM {INVOICE} WHERE id = NEW.invoice_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, '{LINE}: {MESSAGE}'); END
""",
    f"""
CREATE TRIGGER invoice_line_update_immutable BEFORE UPDATE ON {LINE}
WHEN (SELECT status FROM {INVOICE} WHERE id = OLD.invoice_id) <> 'draft'
  OR (SELECT status FROM {INVOICE} WHERE id = NEW.invoice_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, '{LINE}: {MESSAGE}'); END
""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS invoice_issued_immutable",
    "DROP TRIGGER IF EXISTS invoice_line_insert_immutable",
    "DROP TRIGGER IF EXISTS invoice_line_update_immutable",
]

_new = ", ".join(f"NEW.{c}" for c in FROZEN)
_old = ", ".join(f"OLD.{c}" for c in FROZEN)
POSTGRES_CREATE = [
    f"""
CREATE FUNCTION invoice_issued_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft'
       AND (NEW.status = 'draft' OR ROW({_new}) IS DISTINCT FROM ROW({_old})) THEN
        RAISE EXCEPTION '{INVOICE}: {MESSAGE}' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$
""",
    f"""
CREATE TRIGGER invoice_issued_immutable BEFORE UPDATE ON {INVOICE}
FOR EACH ROW EXECUTE FUNCTION invoice_issued_immutable()
""",
    f"""
CREATE FUNCTION invoice_line_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM {INVOICE} WHERE id = NEW.invoice_id) <> 'draft'
       OR (TG_OP = 'UPDATE'
           AND (SELECT status FROM {INVOICE} WHERE id = OLD.invoice_id) <> 'draft') THEN
        RAISE EXCEPTION '{LINE}: {MESSAGE}' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$
""",
    f"""
CREATE TRIGGER invoice_line_immutable BEFORE INSERT OR UPDATE ON {LINE}
FOR EACH ROW EXECUTE FUNCTION invoice_line_immutable()
""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS invoice_line_immutable ON {LINE}",
    "DROP FUNCTION IF EXISTS invoice_line_immutable()",
    f"DROP TRIGGER IF EXISTS invoice_issued_immutable ON {INVOICE}",
    "DROP FUNCTION IF EXISTS invoice_issued_immutable()",
]
