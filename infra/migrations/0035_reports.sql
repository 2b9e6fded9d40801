-- Growth reports (issue 10): one row per issued report. A developer's month can be issued more than once (the "month
-- so far" on request, then the final report on the 1st): each issue is a new version with its own code; the newest
-- is current and the older ones stay verifiable as superseded. Same data → same bytes → same code: the job is
-- idempotent on (developer, month, data_sha256).
CREATE TABLE growth_reports (
    id              bigserial PRIMARY KEY,
    developer_id    bigint NOT NULL REFERENCES users(id),
    month           text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),  -- Asia/Shanghai month
    version         int NOT NULL CHECK (version >= 1),
    final           boolean NOT NULL,            -- issued after the month ended (the 1st's run), not "so far"
    as_of           date NOT NULL,
    code            text NOT NULL UNIQUE,        -- verification code, canonical form (11 symbols)
    data            bytea NOT NULL,              -- canonical_bytes(ReportData): what is signed
    data_sha256     text NOT NULL,
    signature       bytea NOT NULL,              -- Ed25519 over the canonical data
    key_id          text NOT NULL,
    pdf_sha256      text NOT NULL UNIQUE,
    pdf_bytes       int NOT NULL,
    pages           int NOT NULL,
    cos_key         text NOT NULL,
    generated_at    timestamptz NOT NULL,
    superseded_at   timestamptz,
    UNIQUE (developer_id, month, version),
    UNIQUE (developer_id, month, data_sha256)
);
CREATE UNIQUE INDEX growth_reports_current ON growth_reports (developer_id, month) WHERE superseded_at IS NULL;
CREATE INDEX growth_reports_developer ON growth_reports (developer_id, month DESC, version DESC);
