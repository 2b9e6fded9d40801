-- The daily check-in (issue 9; function `checkin`, shared/challenges/checkin.py). Days are Asia/Shanghai.

-- One row per user and Beijing day checked in: the history a streak repair recomputes from. The primary key makes a
-- second check-in of the same day (two devices at once) impossible.
CREATE TABLE checkins (
    user_id         bigint NOT NULL,
    day             date NOT NULL,
    streak          integer NOT NULL CHECK (streak >= 1),   -- the streak after this check-in
    freezes_used    integer NOT NULL DEFAULT 0 CHECK (freezes_used >= 0),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- The user's current state (rules.Streak): locked FOR UPDATE by a check-in, so concurrent check-ins serialise.
CREATE TABLE checkin_stats (
    user_id         bigint PRIMARY KEY,
    last_day        date,
    streak          integer NOT NULL DEFAULT 0 CHECK (streak >= 0),
    total           integer NOT NULL DEFAULT 0 CHECK (total >= 0),   -- never resets
    longest         integer NOT NULL DEFAULT 0 CHECK (longest >= 0),
    freezes         integer NOT NULL DEFAULT 0 CHECK (freezes BETWEEN 0 AND 2),
    remind          boolean NOT NULL DEFAULT false,                  -- the daily reminder (a subscribe message)
    reminded_on     date,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX checkin_stats_remind ON checkin_stats (last_day) WHERE remind;

-- Days of a platform outage, excused by an operator: they are not missed days for any streak.
CREATE TABLE checkin_excused_days (
    day             date PRIMARY KEY,
    reason          text NOT NULL,
    admin_id        bigint,
    created_at      timestamptz NOT NULL
);
