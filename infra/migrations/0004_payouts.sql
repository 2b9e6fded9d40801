-- Pay out (merchant transfers 商家转账 to the developer's WeChat balance), disputes, and the payee's real name
-- (issue 3).
--
-- Money lives in the ledger (0002). These tables are the business documents behind its transactions:
--   release_escrow   task:<id>             escrow:task -> payable:user + platform:revenue     (a payouts row appears)
--   payout_start     transfer:<out_bill_no> payable:user -> payouts:in_flight                 (a payout_transfers row)
--   payout_done      transfer:<out_bill_no> payouts:in_flight -> wechatpay:clearing
--   payout_reverted  transfer:<out_bill_no> payouts:in_flight -> payable:user                 (FAIL / CANCELLED)
-- A payout_transfers row exists exactly when its payout_start transaction does (same database transaction), so a
-- transfer that ends is always settled against money that really is in flight.

-- Real name (实名) of the payee: WeChat requires it on a transfer from ¥2,000 and checks it against the account.
-- Personal data: shown to its owner masked, sent to WeChat Pay encrypted, never on the public resume card.
ALTER TABLE developer_profiles ADD COLUMN real_name text;
ALTER TABLE developer_profiles ADD COLUMN real_name_updated_at timestamptz;

-- What we owe one developer for one reason (an accepted task, a dispute ruling, a withdrawal of the payable
-- balance), and where paying it stands. One payout may take several transfers (attempts): a failed one is retried
-- with a new out_bill_no.
CREATE TABLE payouts (
    id              bigserial PRIMARY KEY,
    developer_id    bigint NOT NULL REFERENCES users(id),
    -- The business event it pays: task:<id> (acceptance or a ruling's payout part), withdraw:<uuid>. Unique, so a
    -- retried release can never create a second payout.
    ref             text NOT NULL UNIQUE,
    source          text NOT NULL CHECK (source IN ('task', 'dispute', 'withdraw')),
    task_id         bigint REFERENCES tasks(id),
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),           -- what the developer receives
    gross_fen       bigint NOT NULL CHECK (gross_fen >= amount_fen),  -- the reward released (= amount for withdraw)
    commission_fen  bigint NOT NULL DEFAULT 0 CHECK (commission_fen >= 0),
    -- pending: queued, money in payable; needs_real_name / needs_wechat: waiting for the developer;
    -- transferring: payout_start posted, transfer being created; wait_user_confirm: the developer must confirm in the
    -- mini-program; cancelling: unconfirmed too long, cancel sent; paid; failed (next_retry_at set: retried
    -- automatically, else waits for a withdrawal); cancelled: money back in payable, waits for a withdrawal.
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'needs_real_name', 'needs_wechat',
                        'transferring', 'wait_user_confirm', 'cancelling', 'paid', 'failed', 'cancelled')),
    attempts        int NOT NULL DEFAULT 0,                           -- transfers started so far
    -- Random, fixed at creation: out_bill_no = 'PO' || id || bill_key || 'A' || attempt. The id and attempt make it
    -- unique for us; the key keeps it unique at WeChat if ids ever restart (a restored or re-created database),
    -- since WeChat answers an existing bill for a known number.
    bill_key        text NOT NULL CHECK (bill_key ~ '^[0-9A-Za-z]{6}$'),
    fail_reason     text,
    next_retry_at   timestamptz,
    paid_at         timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK (source = 'withdraw' OR task_id IS NOT NULL),
    CHECK (gross_fen = amount_fen + commission_fen),
    CHECK (next_retry_at IS NULL OR state = 'failed')
);
CREATE INDEX payouts_developer ON payouts (developer_id, id DESC);
-- The sweep and the withdrawal look only at unfinished payouts: small partial indexes, whatever the history.
CREATE INDEX payouts_open ON payouts (state, updated_at)
    WHERE state IN ('pending', 'needs_real_name', 'needs_wechat', 'transferring', 'wait_user_confirm', 'cancelling');
CREATE INDEX payouts_retry ON payouts (next_retry_at) WHERE next_retry_at IS NOT NULL;

-- One merchant transfer (one WeChat bill) per payout attempt.
CREATE TABLE payout_transfers (
    id              bigserial PRIMARY KEY,
    payout_id       bigint NOT NULL REFERENCES payouts(id),
    attempt         int NOT NULL CHECK (attempt >= 1),
    out_bill_no     text NOT NULL UNIQUE CHECK (out_bill_no ~ '^[0-9A-Za-z]{5,32}$'),
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    strategy        text NOT NULL DEFAULT 'transfer',                 -- the settlement strategy that started it
    -- created: ledger moved to in flight, WeChat not (known to be) called yet; wait_user_confirm; cancelling;
    -- success / fail / cancelled: final, settled in the ledger.
    state           text NOT NULL DEFAULT 'created' CHECK (state IN ('created', 'wait_user_confirm', 'cancelling',
                        'success', 'fail', 'cancelled')),
    transfer_bill_no text,                                            -- WeChat's number
    package_info    text,                                             -- for wx.requestMerchantTransfer
    with_real_name  boolean NOT NULL DEFAULT false,
    fail_reason     text,
    settled_via     text CHECK (settled_via IN ('notify', 'query', 'start')),
    confirm_by      timestamptz,                                      -- unconfirmed after this: the sweep cancels
    cancel_requested_at timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (payout_id, attempt)
);
CREATE INDEX payout_transfers_open ON payout_transfers (state, created_at)
    WHERE state IN ('created', 'wait_user_confirm', 'cancelling');

-- Disputes: either party of a delivered task opens one; the escrow stays frozen until an admin rules.
CREATE TABLE disputes (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL UNIQUE REFERENCES tasks(id),      -- a task is disputed at most once
    merchant_id     bigint NOT NULL REFERENCES users(id),
    developer_id    bigint NOT NULL REFERENCES users(id),
    opened_by       bigint NOT NULL REFERENCES users(id),
    reason          text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ruled')),
    escrow_fen      bigint NOT NULL CHECK (escrow_fen >= 0),          -- held in escrow when it was opened
    outcome         text CHECK (outcome IN ('refund', 'payout', 'split')),
    payout_gross_fen bigint CHECK (payout_gross_fen >= 0),            -- released towards the developer
    commission_fen  bigint CHECK (commission_fen >= 0),
    refund_fen      bigint CHECK (refund_fen >= 0),                   -- refunded to the merchant
    ruling_note     text,
    ruled_by        bigint REFERENCES users(id),
    ruled_at        timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK (opened_by IN (merchant_id, developer_id)),
    CHECK ((status = 'ruled') = (outcome IS NOT NULL)),
    CHECK (status = 'open' OR payout_gross_fen + refund_fen = escrow_fen)
);
CREATE INDEX disputes_open ON disputes (created_at) WHERE status = 'open';
CREATE INDEX disputes_merchant ON disputes (merchant_id, id DESC);
CREATE INDEX disputes_developer ON disputes (developer_id, id DESC);

-- The evidence timeline: append-only entries from both parties (and the mediator's notes and ruling).
CREATE TABLE dispute_entries (
    id              bigserial PRIMARY KEY,
    dispute_id      bigint NOT NULL REFERENCES disputes(id),
    author_id       bigint REFERENCES users(id),
    role            text NOT NULL CHECK (role IN ('merchant', 'developer', 'admin', 'system')),
    kind            text NOT NULL CHECK (kind IN ('opened', 'evidence', 'note', 'ruling')),
    body            text NOT NULL,
    links           jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL
);
CREATE INDEX dispute_entries_timeline ON dispute_entries (dispute_id, id);
