-- The provably fair monthly lottery, wired (issue 9; shared/lottery/service.py, docs/LOTTERY.md). The draw itself
-- is the pure shared/lottery/draw.py; these tables hold the entries, each month's draw through its stages and the
-- public record as published at each stage, and the prizes paid.

-- Tickets: one row per source (a completed challenge window …), so a redelivered or replayed ChallengeCompleted adds
-- nothing. `lottery` is the Beijing month the tickets were earned in ("2026-12").
CREATE TABLE lottery_entries (
    lottery         text NOT NULL,
    source          text NOT NULL,                 -- e.g. challenge:<window id>
    user_id         bigint NOT NULL,
    tickets         integer NOT NULL CHECK (tickets > 0),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (lottery, source)
);
CREATE INDEX lottery_entries_user ON lottery_entries (lottery, user_id);

-- One draw per month. `seed` is secret until the draw (only its commitment is public before); `record` is the public
-- record (codelink-lottery-draw/v1) at the current stage; entries are frozen in it at the close.
CREATE TABLE lottery_draws (
    id              bigserial PRIMARY KEY,
    lottery         text NOT NULL UNIQUE,
    state           text NOT NULL CHECK (state IN ('announced', 'closed', 'drawn')),
    close_time      timestamptz NOT NULL,
    beacon_round    bigint NOT NULL,
    seed            bytea NOT NULL,
    record          jsonb NOT NULL,
    announced_at    timestamptz NOT NULL,
    closed_at       timestamptz,
    drawn_at        timestamptz,
    updated_at      timestamptz NOT NULL
);

-- Prizes by rank (1 = the first winner drawn): points through the points ledger, cash through the money ledger from
-- platform:budget (kind lottery_prize, ref lottery:<draw id>:<rank>). `owed` while the budget cannot cover it.
CREATE TABLE lottery_prizes (
    draw_id         bigint NOT NULL REFERENCES lottery_draws (id),
    rank            integer NOT NULL CHECK (rank >= 1),
    user_id         bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('points', 'cash')),
    amount          bigint NOT NULL CHECK (amount > 0),
    state           text NOT NULL CHECK (state IN ('owed', 'paid')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (draw_id, rank)
);
