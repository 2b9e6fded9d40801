-- The points ledger (shared/growth/points.py) gains source classes with a daily cap, what the source asked for,
-- the operator of a grant or deduction, and compensating entries (reversals).
ALTER TABLE points_entries
    ADD COLUMN source_class text NOT NULL DEFAULT 'compensation',
    ADD COLUMN requested    int,
    ADD COLUMN actor_id     bigint REFERENCES users(id),
    ADD COLUMN reverses_id  bigint REFERENCES points_entries(id),
    ADD COLUMN day          date;
UPDATE points_entries SET requested = delta, day = (created_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE points_entries
    ALTER COLUMN requested SET NOT NULL,
    ALTER COLUMN day SET NOT NULL,
    ALTER COLUMN source_class DROP DEFAULT;
-- A grant the cap cut to nothing is kept (delta 0) so the user sees why; an entry that asks for nothing is not.
ALTER TABLE points_entries DROP CONSTRAINT points_entries_delta_check;
ALTER TABLE points_entries ADD CONSTRAINT points_entries_requested_check CHECK (requested <> 0);
CREATE UNIQUE INDEX points_entries_reversal ON points_entries (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE INDEX points_entries_history ON points_entries (user_id, id DESC);

-- What each capped source class credited per user and Asia/Shanghai day; its row lock serialises concurrent grants.
CREATE TABLE points_daily (
    user_id         bigint NOT NULL REFERENCES users(id),
    day             date NOT NULL,
    source_class    text NOT NULL,
    credited        int NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, source_class)
);
