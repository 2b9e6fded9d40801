-- Mentor challenges (issue 9, the paid tier). A mentor is a developer an operator flagged as mentor whose real-name
-- record an operator approved. Operators publish challenges (a mentor, a brief, a cash bonus from the platform
-- budget); developers with the growth pass enrol, submit a deliverable, the mentor reviews it with a score and a
-- comment, and may write a recommendation letter. The bonus is credited through the ledger (mentor_bonus
-- mentor_enrolment:<id>: platform:budget -> payable:user:<id>) once, and paid out by the payouts area's withdrawal.
CREATE TABLE mentors (
    user_id         bigint PRIMARY KEY REFERENCES users(id),
    flagged         boolean NOT NULL DEFAULT false,                 -- set by an operator
    real_name       text NOT NULL DEFAULT '',                       -- private: only operators see it
    real_name_status text NOT NULL DEFAULT 'none'
                    CHECK (real_name_status IN ('none', 'pending', 'approved', 'rejected')),
    title           text NOT NULL DEFAULT '',                       -- public: e.g. 「资深后端工程师」
    reviewed_by     bigint,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE mentor_challenges (
    id              bigserial PRIMARY KEY,
    mentor_id       bigint NOT NULL REFERENCES users(id),
    title           text NOT NULL,
    brief           text NOT NULL,
    bonus_fen       bigint NOT NULL CHECK (bonus_fen >= 0),
    pass_score      int NOT NULL CHECK (pass_score BETWEEN 0 AND 100),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by      bigint NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX mentor_challenges_open ON mentor_challenges (id DESC) WHERE status = 'open';

CREATE TABLE mentor_enrolments (
    id              bigserial PRIMARY KEY,
    challenge_id    bigint NOT NULL REFERENCES mentor_challenges(id),
    developer_id    bigint NOT NULL REFERENCES users(id),
    mentor_id       bigint NOT NULL REFERENCES users(id),
    status          text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'submitted', 'reviewed')),
    deliverable_url text NOT NULL DEFAULT '',
    deliverable_note text NOT NULL DEFAULT '',
    submitted_at    timestamptz,
    score           int CHECK (score BETWEEN 0 AND 100),
    comment         text NOT NULL DEFAULT '',
    accepted        boolean,
    bonus_fen       bigint NOT NULL DEFAULT 0 CHECK (bonus_fen >= 0),  -- what the review credited
    reviewed_at     timestamptz,
    created_at      timestamptz NOT NULL,
    UNIQUE (challenge_id, developer_id)
);
CREATE INDEX mentor_enrolments_mentor ON mentor_enrolments (mentor_id, status, id);
CREATE INDEX mentor_enrolments_developer ON mentor_enrolments (developer_id, id DESC);

-- A recommendation letter: at most one per enrolment, shown on the resume card and in reports
-- (shared/mentors/queries.py).
CREATE TABLE mentor_letters (
    enrolment_id    bigint PRIMARY KEY REFERENCES mentor_enrolments(id),
    mentor_id       bigint NOT NULL REFERENCES users(id),
    developer_id    bigint NOT NULL REFERENCES users(id),
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at      timestamptz NOT NULL
);
CREATE INDEX mentor_letters_developer ON mentor_letters (developer_id, created_at DESC);
