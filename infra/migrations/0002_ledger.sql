-- The money ledger: double-entry, integer fen, immutable postings, balances derived from postings.
--
-- Sign convention: a posting's amount is positive for a debit and negative for a credit, so every transaction nets
-- to zero. Each account has a normal side; `balance` is the sum of its postings in that direction, kept by a trigger
-- (so reading a balance is one row) and checked by a CHECK: no account that must not go negative ever does.
-- The database, not Python, enforces: transactions net to zero (deferred constraint trigger, checked at COMMIT),
-- postings are non-zero and immutable, balances never go below zero, one transaction per (kind, ref).

CREATE TABLE ledger_accounts (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE,        -- e.g. escrow:task:42, payable:user:7, platform:revenue
    kind            text NOT NULL CHECK (kind IN ('task_escrow', 'milestone_escrow', 'developer_payable',
                        'platform_revenue', 'platform_budget', 'wechatpay_clearing', 'refunds_in_flight',
                        'payouts_in_flight')),
    normal_side     text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    owner_user_id   bigint REFERENCES users(id),
    balance         bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    CONSTRAINT ledger_balance_not_negative CHECK (balance >= 0)
);

CREATE TABLE ledger_transactions (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,               -- fund_escrow, release_escrow, payout_start, refund_done, ...
    ref             text NOT NULL,               -- the business event it records: makes each posting idempotent
    memo            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    UNIQUE (kind, ref)
);

CREATE TABLE ledger_postings (
    id              bigserial PRIMARY KEY,
    transaction_id  bigint NOT NULL REFERENCES ledger_transactions(id),
    account_id      bigint NOT NULL REFERENCES ledger_accounts(id),
    amount          bigint NOT NULL CHECK (amount <> 0),
    created_at      timestamptz NOT NULL
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);

-- Keep the account balance in step with each posting. The UPDATE takes the account's row lock, which serialises
-- concurrent postings to one account; the CHECK above refuses any posting that would overdraw it.
CREATE FUNCTION ledger_apply_posting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts
       SET balance = balance + CASE normal_side WHEN 'debit' THEN NEW.amount ELSE -NEW.amount END
     WHERE id = NEW.account_id;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_postings_apply AFTER INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();

-- Postings and transactions are immutable: corrections are new transactions.
CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

-- Every transaction nets to zero and has at least two postings, checked at COMMIT (deferred), after all its postings
-- are in.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    n int;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, n FROM ledger_postings
     WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (sum %, % postings)', NEW.transaction_id, total, n
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
