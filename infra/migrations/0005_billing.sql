-- Fees and subscriptions (issue 3): memberships, task promotion (置顶推荐), and the daily reconciliation of the ledger
-- against WeChat Pay's trade bill. Orders themselves live in payment_orders (0003, the payments area): a paid order of
-- purpose `subscription` / `promotion` is turned into a membership period / a promotion here, exactly once.

-- One row per paid subscription order: the period it bought. Periods of one user and plan stack (a renewal bought
-- while active starts at the current end), so "is X a member at t" is "some row covers t" and the member's end is the
-- latest period_end. UNIQUE (source_order_id) makes granting idempotent under duplicate payment notifications.
CREATE TABLE memberships (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    plan            text NOT NULL CHECK (plan IN ('enterprise', 'growth', 'premium')),
    months          int NOT NULL CHECK (months BETWEEN 1 AND 12),
    period_start    timestamptz NOT NULL,
    period_end      timestamptz NOT NULL,
    price_fen       bigint NOT NULL CHECK (price_fen > 0),
    source_order_id bigint NOT NULL UNIQUE,        -- payment_orders.id (no FK: the orders table is another area's)
    out_trade_no    text NOT NULL,
    reminded_at     timestamptz,                   -- the "ends in 3 days" reminder, once per period
    expired_at      timestamptz,                   -- set by the memberships timer once the period has ended
    created_at      timestamptz NOT NULL,
    CHECK (period_end > period_start)
);
CREATE INDEX memberships_user_plan ON memberships (user_id, plan, period_end DESC);
-- The timer only looks at periods it has not finished with: small partial indexes, whatever the history.
CREATE INDEX memberships_to_expire ON memberships (period_end) WHERE expired_at IS NULL;
CREATE INDEX memberships_to_remind ON memberships (period_end) WHERE reminded_at IS NULL AND expired_at IS NULL;

-- The hall ranks a task first while tasks.promoted_until is in the future. The payments area adds the column too
-- (promotion bought at funding time); whichever migration runs first creates it.
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS promoted_until timestamptz;
-- Only open, promoted tasks: the memberships timer clears promoted_until when a promotion ends, so this index holds
-- the handful of live promotions, never the million-task history. The hall's first page reads it.
CREATE INDEX IF NOT EXISTS tasks_hall_promoted ON tasks (promoted_until) WHERE status = 'open' AND promoted_until IS NOT NULL;

-- One row per paid promotion order (or promotion paid together with the escrow): the window it bought.
CREATE TABLE promotions (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES tasks(id),
    merchant_id     bigint NOT NULL REFERENCES users(id),
    days            int NOT NULL CHECK (days BETWEEN 1 AND 90),
    price_fen       bigint NOT NULL CHECK (price_fen > 0),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    source_order_id bigint NOT NULL UNIQUE,
    out_trade_no    text NOT NULL,
    ended_at        timestamptz,                   -- set by the memberships timer once ends_at has passed
    created_at      timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX promotions_task ON promotions (task_id, ends_at DESC);
CREATE INDEX promotions_to_end ON promotions (ends_at) WHERE ended_at IS NULL;

-- Reconciliation: one run per bill date (Beijing day); re-running a date replaces its result.
CREATE TABLE reconciliation_runs (
    id              bigserial PRIMARY KEY,
    bill_date       date NOT NULL UNIQUE,
    status          text NOT NULL CHECK (status IN ('matched', 'differences', 'failed')),
    bill_lines      int NOT NULL DEFAULT 0,
    matched_lines   int NOT NULL DEFAULT 0,
    diff_count      int NOT NULL DEFAULT 0,
    bill_paid_fen   bigint NOT NULL DEFAULT 0,     -- sum of the bill's payment lines (订单金额)
    bill_refund_fen bigint NOT NULL DEFAULT 0,     -- sum of the bill's refund lines (退款金额)
    ours_paid_fen   bigint NOT NULL DEFAULT 0,     -- sum of our orders paid that day
    ours_refund_fen bigint NOT NULL DEFAULT 0,
    error           text,
    runs            int NOT NULL DEFAULT 1,        -- how many times this date was reconciled
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL
);

CREATE TABLE reconciliation_diffs (
    id              bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
    bill_date       date NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('missing_in_ledger', 'missing_in_bill', 'amount_mismatch',
                        'state_mismatch')),
    line_type       text NOT NULL CHECK (line_type IN ('payment', 'refund')),
    out_trade_no    text NOT NULL,
    out_refund_no   text,
    bill_amount_fen bigint,
    our_amount_fen  bigint,
    bill_state      text,
    our_state       text,
    detail          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE INDEX reconciliation_diffs_run ON reconciliation_diffs (run_id, id);
CREATE INDEX reconciliation_diffs_trade ON reconciliation_diffs (out_trade_no);
