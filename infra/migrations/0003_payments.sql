-- Pay in (WeChat Pay v3 JSAPI orders and their notifications), milestones, refunds (issue 3).
--
-- Money itself lives in the ledger (0002): these tables record the business documents that explain each ledger
-- transaction — the order a `fund_escrow` posting settles, the refund a `refund_start` / `refund_done` pair executes —
-- and the state WeChat Pay reported for them. Amounts are integer fen.

-- When the task's escrow was first funded (a paid order or the platform budget). A funded task that goes back to
-- review (flagged after an edit) must not ask for the money a second time when it is approved again.
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS funded_at timestamptz;
-- The hall ranks a task first while promoted_until is in the future (promotion bought with the escrow here, or later
-- through shared/billing). 0005_billing adds it too: whichever migration runs first creates it.
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS promoted_until timestamptz;

-- Optional milestones: a task's reward split into parts funded (and released) separately. Their rewards sum to the
-- task's reward_fen (checked when they are created; the reward of a milestone task cannot be edited afterwards).
CREATE TABLE task_milestones (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES tasks(id),
    position        int NOT NULL CHECK (position >= 1),
    title           text NOT NULL,
    reward_fen      bigint NOT NULL CHECK (reward_fen > 0),
    -- awaiting_funding -> funded -> released (payouts) | refunded; cancelled: the task closed before it was funded
    state           text NOT NULL DEFAULT 'awaiting_funding'
                        CHECK (state IN ('awaiting_funding', 'funded', 'released', 'refunded', 'cancelled')),
    funded_at       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (task_id, position)
);

-- One JSAPI order per payment attempt. out_trade_no is what WeChat Pay knows it by (unique forever per merchant).
CREATE TABLE payment_orders (
    id              bigserial PRIMARY KEY,
    out_trade_no    text NOT NULL UNIQUE,
    purpose         text NOT NULL CHECK (purpose IN ('task_escrow', 'milestone_escrow', 'promotion', 'subscription')),
    payer_id        bigint NOT NULL REFERENCES users(id),
    payer_openid    text NOT NULL,
    task_id         bigint REFERENCES tasks(id),
    milestone_id    bigint REFERENCES task_milestones(id),
    description     text NOT NULL,
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),          -- what the payer pays (WeChat's amount.total)
    reward_fen      bigint NOT NULL DEFAULT 0 CHECK (reward_fen >= 0),   -- the part that goes to escrow
    promotion_fee_fen bigint NOT NULL DEFAULT 0 CHECK (promotion_fee_fen >= 0),  -- the part that is our revenue
    promotion_days  int CHECK (promotion_days IS NULL OR promotion_days BETWEEN 1 AND 90),
    breakdown       jsonb NOT NULL DEFAULT '{}',                      -- purpose-specific details (plan, months, ...)
    state           text NOT NULL DEFAULT 'created' CHECK (state IN ('created', 'paid', 'closed')),
    prepay_id       text,
    transaction_id  text UNIQUE,                                      -- WeChat's number, once paid
    paid_at         timestamptz,
    settled_via     text CHECK (settled_via IN ('notify', 'poll')),
    expires_at      timestamptz NOT NULL,                             -- ours: unpaid after this, the timer closes it
    wechat_time_expire timestamptz NOT NULL,                          -- the time_expire sent to WeChat (kept so a
                                                                      -- retried create sends identical parameters)
    closed_at       timestamptz,
    close_reason    text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- An escrow order is exactly reward + promotion; other purposes describe their amount in `breakdown`.
    CHECK (purpose NOT IN ('task_escrow', 'milestone_escrow') OR amount_fen = reward_fen + promotion_fee_fen),
    CHECK (purpose <> 'milestone_escrow' OR milestone_id IS NOT NULL),
    CHECK (purpose <> 'task_escrow' OR task_id IS NOT NULL),
    CHECK (state <> 'paid' OR (paid_at IS NOT NULL AND transaction_id IS NOT NULL))
);
-- At most one unpaid order per escrow at a time: a double tap reuses it, two concurrent taps cannot make two.
CREATE UNIQUE INDEX payment_orders_one_open_escrow ON payment_orders (purpose, task_id, coalesce(milestone_id, 0))
    WHERE state = 'created' AND purpose IN ('task_escrow', 'milestone_escrow');
CREATE INDEX payment_orders_unpaid ON payment_orders (created_at) WHERE state = 'created';
CREATE INDEX payment_orders_task ON payment_orders (task_id, id) WHERE task_id IS NOT NULL;
CREATE INDEX payment_orders_payer ON payment_orders (payer_id, id DESC);
CREATE INDEX payment_orders_paid_at ON payment_orders (paid_at) WHERE state = 'paid';

-- Every WeChat Pay notification we received, by its id: duplicates (WeChat retries for ~24 h) are answered from here.
-- `done` = handled for good (processed or deliberately ignored), answered SUCCESS again on a duplicate. A refused one
-- (unknown order, amount mismatch, ...) stays not done: WeChat retries it and it is evaluated afresh each time.
CREATE TABLE payment_notifications (
    id              text PRIMARY KEY,
    event_type      text NOT NULL,
    ref             text,                       -- out_trade_no / out_refund_no / out_bill_no
    done            boolean NOT NULL DEFAULT false,
    outcome         text NOT NULL,              -- paid, already_paid, refunded_late_payment, refund_succeeded, ...
    detail          text NOT NULL DEFAULT '',
    attempts        int NOT NULL DEFAULT 1,
    first_seen_at   timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL
);
CREATE INDEX payment_notifications_refused ON payment_notifications (last_seen_at) WHERE NOT done;

-- A refund through WeChat Pay's v3 refund API. request_key names the business decision it executes
-- (cancel:task:5, expire:task:5, dispute:7, late:order:...): deciding the same thing twice refunds once.
CREATE TABLE refunds (
    id              bigserial PRIMARY KEY,
    out_refund_no   text NOT NULL UNIQUE,
    request_key     text NOT NULL UNIQUE,
    order_id        bigint NOT NULL REFERENCES payment_orders(id),
    task_id         bigint REFERENCES tasks(id),
    milestone_id    bigint REFERENCES task_milestones(id),
    escrow_account  text NOT NULL,              -- the ledger account the money left (escrow:task:<id> / :milestone:)
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    reason          text NOT NULL,
    -- requested: ledger moved to refunds:in_flight, API not called yet; processing: WeChat accepted it;
    -- succeeded: REFUND.SUCCESS (refund_done posted); failed: ABNORMAL / CLOSED / refused — for an admin to resolve
    state           text NOT NULL DEFAULT 'requested'
                        CHECK (state IN ('requested', 'processing', 'succeeded', 'failed')),
    refund_id       text,                       -- WeChat's number
    failure         text,
    requested_by    bigint REFERENCES users(id),
    processing_at   timestamptz,
    succeeded_at    timestamptz,
    failed_at       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX refunds_task ON refunds (task_id, id);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_open ON refunds (updated_at) WHERE state IN ('requested', 'processing');
CREATE INDEX refunds_failed ON refunds (failed_at) WHERE state = 'failed';
