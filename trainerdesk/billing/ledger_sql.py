"""The database rules of the ledger, per vendor (installed by billing migration 0002; a
change here needs a new migration that drops and re-creates them).

Both databases enforce the same rules, whatever the client (the services check first and
give better messages; these are the guarantee):
1. A transaction is inserted `open` (never directly `posted`).
2. A leg goes only into an `open` transaction, in its account's currency.
3. The update `open` → `posted` is refused unless the transaction has at least two legs
   and they sum to zero per currency.
4. A posted transaction is never updated or deleted; a leg is never updated or deleted.
   An open transaction may be deleted only while it has no legs (the foreign key).
Every refusal is an IntegrityError in Django (SQLite: RAISE(ABORT) is a constraint
error; PostgreSQL: SQLSTATE 23514 check_violation).

Why triggers and not a CHECK: a sum over other rows is not something a CHECK constraint
can express on either database. Why the open → posted step: SQLite has no deferred
triggers, so "balanced at commit" has to be a statement of its own; the same pattern on
PostgreSQL keeps one set of rules. On PostgreSQL the leg trigger locks the transaction
row FOR SHARE, which conflicts with the posting UPDATE: a leg written by another session
at the same moment either lands before the posting sees the sum or is refused after.

PostgreSQL's TRUNCATE fires no row triggers (flush between transactional tests uses it;
revoke TRUNCATE from the application's role in production, as for the audit log). On
SQLite `lib/pytest_env.py` lifts DELETE triggers for the test suite's flush only.
"""

TXN = "billing_ledgertransaction"
LEG = "billing_leg"
ACCOUNT = "billing_account"

SQLITE_CREATE = [
    f"""
CREATE TRIGGER ledger_txn_insert_open BEFORE INSERT ON {TXN}
WHEN NEW.status <> 'open'
BEGIN SELECT RAISE(ABORT, 'ledger: a transaction is inserted open, then posted'); END
""",
    f"""
CREATE TRIGGER ledger_txn_posted_immutable BEFORE UPDATE ON {TXN}
WHEN OLD.status = 'posted'
BEGIN SELECT RAISE(ABORT, 'ledger: a posted transaction is immutable: UPDATE refused'); END
""",
    f"""
CREATE TRIGGER ledger_txn_keep_id BEFORE UPDATE ON {TXN}
WHEN NEW.id <> OLD.id
BEGIN SELECT RAISE(ABORT, 'ledger: a transaction keeps its id'); END
""",
    f"""
CREATE TRIGGER ledger_txn_balanced BEFORE UPDATE ON {TXN}
WHEN NEW.status = 'posted' AND OLD.status <> 'posted'
BEGIN
    SELECT RAISE(ABORT, 'ledger: a transaction needs at least two legs')
    WHERE (SELECT COUNT(*) FROM {LEG} WHERE transaction_id = NEW.id) < 2;
    SELECT RAISE(ABORT, 'ledger: legs do not sum to zero per currency')
    WHERE EXISTS (
        SELECT 1 FROM {LEG} WHERE transaction_id = NEW.id
        GROUP BY currency HAVING SUM(amount) <> 0
    );
END
""",
    f"""
CREATE TRIGGER ledger_txn_no_delete BEFORE DELETE ON {TXN}
WHEN OLD.status = 'posted'
BEGIN SELECT RAISE(ABORT, 'ledger: a posted transaction is immutable: DELETE refused'); END
""",
    f"""
CREATE TRIGGER ledger_leg_insert BEFORE INSERT ON {LEG}
BEGIN
    SELECT RAISE(ABORT, 'ledger: legs go only into an open transaction')
    WHERE (SELECT status FROM {TXN} WHERE id = NEW.transaction_id) IS NOT 'open';
    SELECT RAISE(ABORT, 'ledger: a leg is in its account''s currency')
    WHERE (SELECT currency FROM {ACCOUNT} WHERE id = NEW.account_id) IS NOT NEW.currency;
END
""",
    f"""
CREATE TRIGGER ledger_leg_no_update BEFORE UPDATE ON {LEG}
BEGIN SELECT RAISE(ABORT, 'ledger: legs are immutable: UPDATE refused'); END
""",
    f"""
CREATE TRIGGER ledger_leg_no_delete BEFORE DELETE ON {LEG}
BEGIN SELECT RAISE(ABORT, 'ledger: legs are immutable: DELETE refused'); END
""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "ledger_txn_insert_open",
        "ledger_txn_posted_immutable",
        "ledger_txn_keep_id",
        "ledger_txn_balanced",
        "ledger_txn_no_delete",
        "ledger_leg_insert",
        "ledger_leg_no_update",
        "ledger_leg_no_delete",
    )
]

POSTGRES_CREATE = [
    f"""
CREATE FUNCTION ledger_txn_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_legs bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION 'ledger: a transaction is inserted open, then posted'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION 'ledger: a posted transaction is immutable: % refused', TG_OP
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'ledger: a transaction keeps its id' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = 'posted' THEN
        SELECT COUNT(*) INTO n_legs FROM {LEG} WHERE transaction_id = NEW.id;
        IF n_legs < 2 THEN
            RAISE EXCEPTION 'ledger: a transaction needs at least two legs'
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM {LEG} WHERE transaction_id = NEW.id
            GROUP BY currency HAVING SUM(amount) <> 0
        ) THEN
            RAISE EXCEPTION 'ledger: legs do not sum to zero per currency'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$
""",
    f"""
CREATE TRIGGER ledger_txn_guard BEFORE INSERT OR UPDATE OR DELETE ON {TXN}
FOR EACH ROW EXECUTE FUNCTION ledger_txn_guard()
""",
    f"""
CREATE FUNCTION ledger_leg_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    txn_status text;
    account_currency text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'ledger: legs are immutable: % refused', TG_OP
            USING ERRCODE = 'check_violation';
    END IF;
    -- FOR SHARE conflicts with the posting UPDATE, so the two never interleave.
    SELECT status INTO txn_status FROM {TXN} WHERE id = NEW.transaction_id FOR SHARE;
    IF txn_status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'ledger: legs go only into an open transaction'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT currency INTO account_currency FROM {ACCOUNT} WHERE id = NEW.account_id;
    IF account_currency IS DISTINCT FROM NEW.currency THEN
        RAISE EXCEPTION 'ledger: a leg is in its account''s currency'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$
""",
    f"""
CREATE TRIGGER ledger_leg_guard BEFORE INSERT OR UPDATE OR DELETE ON {LEG}
FOR EACH ROW EXECUTE FUNCTION ledger_leg_guard()
""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS ledger_leg_guard ON {LEG}",
    "DROP FUNCTION IF EXISTS ledger_leg_guard()",
    f"DROP TRIGGER IF EXISTS ledger_txn_guard ON {TXN}",
    "DROP FUNCTION IF EXISTS ledger_txn_guard()",
]
