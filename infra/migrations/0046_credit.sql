-- Credit profiles and reputation (issue 12): one row per user, derived from the event log by the credit area
-- (shared/credit): recomputed by an after-commit subscriber of the events that change it, and nightly.
-- `facts` are the counts the score was computed from, `reasons` the score's explanation, `reputation` what
-- developers see of a merchant (and merchants of an applicant) on task cards and pages.
CREATE TABLE credit_profiles (
    user_id             bigint PRIMARY KEY REFERENCES users(id),
    score               int NOT NULL CHECK (score BETWEEN 0 AND 100),
    level               text NOT NULL,
    facts               jsonb NOT NULL,
    reasons             jsonb NOT NULL,
    reputation          jsonb NOT NULL,
    computed_at         timestamptz NOT NULL
);
