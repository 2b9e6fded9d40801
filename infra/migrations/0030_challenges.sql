-- Challenges (issue 9; the `challenges` area, shared/challenges, docs/CHALLENGES.md). Challenges are data: a window,
-- conditions over domain events, rewards. Admins edit them; a change applies to windows opened after it, because a
-- window keeps a snapshot of the rule and rewards it was opened with. No FK to users: that is the auth area's table.

CREATE TABLE challenges (
    key             text PRIMARY KEY,              -- stable: welcome, apply, resume, weekly, mentor …
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    definition      jsonb NOT NULL,                -- {window, rule, rewards, requires_growth_pass}: shared/challenges/rules.py
    active          boolean NOT NULL DEFAULT true,
    position        integer NOT NULL DEFAULT 0,    -- display order
    version         integer NOT NULL DEFAULT 1,    -- bumped by every admin edit
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- One user's window of one challenge ("reg:0-7", "2026-W49", "2026-12"), opened by its first matching event or the
-- user's first look, with the definition it was opened with (running windows keep their rules).
CREATE TABLE challenge_windows (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    challenge_key   text NOT NULL,
    window_key      text NOT NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    name            text NOT NULL,
    definition      jsonb NOT NULL,                -- the snapshot
    challenge_version integer NOT NULL,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL,
    UNIQUE (user_id, challenge_key, window_key),
    CHECK (ends_at > starts_at)
);
CREATE INDEX challenge_windows_user ON challenge_windows (user_id, ends_at DESC);

-- Progress: one row per (window, condition, event). Keyed on the event's log id, so the same event delivered twice
-- (a retry, a replay) counts once, and counts are sets: the order events arrive in cannot change the result.
CREATE TABLE challenge_progress (
    window_id       bigint NOT NULL REFERENCES challenge_windows (id),
    condition_key   text NOT NULL,
    event_id        bigint NOT NULL,
    occurred_at     timestamptz NOT NULL,
    PRIMARY KEY (window_id, condition_key, event_id)
);

-- Cash bonuses of completed windows, paid from platform:budget into the developer's payable (ledger kind
-- challenge_bonus, ref challenge:<window id>). `state` owed when the budget could not cover it yet.
CREATE TABLE challenge_cash (
    window_id       bigint PRIMARY KEY REFERENCES challenge_windows (id),
    user_id         bigint NOT NULL,
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    state           text NOT NULL CHECK (state IN ('owed', 'paid')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- The seeded onboarding table (SPEC "Challenges"). Windows from registration are Beijing days after the day of
-- registration: week 1 = days [0, 7), weeks 2–3 = [7, 21), weeks 3–4 = [14, 28).
INSERT INTO challenges (key, name, description, definition, position, created_at, updated_at) VALUES
('welcome', '入驻见面礼', '完成注册、完善简历卡片并逛一逛任务大厅', '{
  "window": {"kind": "registration", "start_day": 0, "end_day": 7},
  "rule": {"combine": "all", "conditions": [
    {"key": "registered", "label": "注册账号", "event": "UserRegistered", "user_field": "user_id", "count": 1},
    {"key": "profile", "label": "完善简历卡片", "event": "ProfileCompleted", "user_field": "user_id", "count": 1},
    {"key": "hall", "label": "浏览任务大厅", "event": "HallBrowsed", "user_field": "user_id", "count": 1}]},
  "rewards": {"points": 100, "xp": 0, "badge_key": "welcome", "title_key": null, "lottery_entries": 0,
              "unlocks": [], "cash_fen": 0},
  "requires_growth_pass": false}', 1, now(), now()),
('apply', '投递挑战', '投递任意一个任务', '{
  "window": {"kind": "registration", "start_day": 7, "end_day": 21},
  "rule": {"combine": "all", "conditions": [
    {"key": "apply", "label": "投递任意任务", "event": "ApplicationSubmitted", "user_field": "developer_id", "count": 1}]},
  "rewards": {"points": 0, "xp": 0, "badge_key": null, "title_key": "job_seeker", "lottery_entries": 1,
              "unlocks": [], "cash_fen": 0},
  "requires_growth_pass": false}', 2, now(), now()),
('resume', '履历挑战', '完成第一个任务并获得商家评价', '{
  "window": {"kind": "registration", "start_day": 14, "end_day": 28},
  "rule": {"combine": "all", "conditions": [
    {"key": "task_done", "label": "完成第一个任务", "event": "TaskCompleted", "user_field": "developer_id", "count": 1},
    {"key": "rated", "label": "获得商家评价", "event": "RatingGiven", "user_field": "ratee_id", "count": 1,
     "where": {"direction": "merchant_to_developer"}}]},
  "rewards": {"points": 0, "xp": 0, "badge_key": null, "title_key": null, "lottery_entries": 0,
              "unlocks": ["skill_graph", "resume"], "cash_fen": 0},
  "requires_growth_pass": false}', 3, now(), now()),
('weekly', '每周成长挑战', '本周完成 1 个任务，或发布 1 篇社区帖子，或邀请 1 位好友注册', '{
  "window": {"kind": "weekly"},
  "rule": {"combine": "any", "conditions": [
    {"key": "task_done", "label": "完成 1 个任务", "event": "TaskCompleted", "user_field": "developer_id", "count": 1},
    {"key": "post", "label": "发布 1 篇社区帖子", "event": "PostPublished", "user_field": "author_id", "count": 1},
    {"key": "invite", "label": "邀请 1 位好友注册", "event": "InvitationCredited", "user_field": "inviter_id", "count": 1}]},
  "rewards": {"points": 50, "xp": 20, "badge_key": null, "title_key": null, "lottery_entries": 1,
              "unlocks": [], "cash_fen": 0},
  "requires_growth_pass": false}', 4, now(), now()),
('mentor', '导师特训', '成长通行证专属：报名导师特训（实名），交付成果获导师验收', '{
  "window": {"kind": "monthly"},
  "rule": {"combine": "all", "conditions": [
    {"key": "accepted", "label": "交付成果获导师验收", "event": "MentorReviewGiven", "user_field": "developer_id",
     "count": 1, "where": {"accepted": true}}]},
  "rewards": {"points": 0, "xp": 100, "badge_key": null, "title_key": null, "lottery_entries": 0,
              "unlocks": [], "cash_fen": 20000},
  "requires_growth_pass": true}', 5, now(), now());
