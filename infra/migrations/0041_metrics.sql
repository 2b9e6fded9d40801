-- The business dashboard's aggregates (issue 11; the `metrics` area, shared/metrics). Kept up to date by one
-- after-commit subscriber of the domain events (metrics.record), so the console reads a few hundred small rows
-- instead of scanning a million tasks. Days, weeks (Monday) and months are Asia/Shanghai.

-- Counters: one value per metric and period (a Beijing day for additive metrics; the week's Monday for `wau`, the
-- month's first day for `mau`). Additive metrics are summed into weeks and months when read.
CREATE TABLE metrics_counters (
    metric          text NOT NULL,               -- registrations, dau, wau, mau, tasks_published, gmv, revenue:…
    period          date NOT NULL,
    value           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (metric, period)
);

-- What has been counted, by business key (a task published, an order's revenue, an application's first answer …):
-- a counter moves only when its fact is new, so a replayed event (a backfill) never counts twice.
CREATE TABLE metrics_facts (
    kind            text NOT NULL,
    key             text NOT NULL,
    counted_at      timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);

-- Registered users and their cohort (the Beijing week they registered in). No FK: users is the auth area's table.
CREATE TABLE metrics_users (
    user_id         bigint PRIMARY KEY,
    registered_on   date NOT NULL,
    cohort_week     date NOT NULL
);

-- Who was active in which day / week / month: the distinct counts (DAU, WAU, MAU) and the retention cohorts move only
-- when a row here is new.
CREATE TABLE metrics_activity (
    user_id         bigint NOT NULL,
    period_kind     char(1) NOT NULL CHECK (period_kind IN ('d', 'w', 'm')),
    period          date NOT NULL,
    PRIMARY KEY (user_id, period_kind, period)
);

-- Weekly retention: of the users registered in `cohort_week`, how many were active in `week`.
CREATE TABLE metrics_retention (
    cohort_week     date NOT NULL,
    week            date NOT NULL,
    users           int NOT NULL DEFAULT 0,
    PRIMARY KEY (cohort_week, week),
    CHECK (week >= cohort_week)
);
