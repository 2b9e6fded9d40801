-- Operators' cohort runs: generate the reports of a filtered cohort, then a ZIP (PDFs + summary.csv) in COS.
CREATE TABLE report_exports (
    id              bigserial PRIMARY KEY,
    admin_id        bigint NOT NULL REFERENCES users(id),
    month           text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    filters         jsonb NOT NULL,
    status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total           int NOT NULL DEFAULT 0,
    done            int NOT NULL DEFAULT 0,
    failed          int NOT NULL DEFAULT 0,
    developer_ids   bigint[] NOT NULL DEFAULT '{}',
    zip_key         text,
    error           text,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz
);
