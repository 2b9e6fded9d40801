-- The event log (issue 7): every domain event, written in the transaction of the change it records. It replaces the
-- behaviour log (activity_log, whose rows move here as ActivityRecorded events) and is kept for good: disputes,
-- credit profiles and backfills read it. Queried by user (every user an event concerns), entity, type and time.
CREATE TABLE event_log (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL,               -- the event type: TaskClosed, RatingGiven, …
    version         int NOT NULL,
    entity          text NOT NULL,               -- what it is about: task, application, payout, …
    entity_id       bigint NOT NULL,
    actor_id        bigint,                      -- who did it; NULL: the system (timer, WeChat Pay)
    user_ids        bigint[] NOT NULL DEFAULT '{}',  -- every user it concerns (merchant and developer …)
    data            jsonb NOT NULL DEFAULT '{}', -- the typed fields (shared/events)
    dedupe_key      text,                        -- publish-once events (e.g. HallBrowsed per user per day)
    occurred_at     timestamptz NOT NULL
);
CREATE INDEX event_log_entity ON event_log (entity, entity_id, id);
CREATE INDEX event_log_users ON event_log USING gin (user_ids);
CREATE INDEX event_log_name_time ON event_log (name, occurred_at, id);
CREATE INDEX event_log_actor ON event_log (actor_id, id) WHERE actor_id IS NOT NULL;
CREATE INDEX event_log_time ON event_log USING brin (occurred_at);
CREATE UNIQUE INDEX event_log_dedupe ON event_log (dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Kept: the log is append-only (as the ledger's postings are).
CREATE FUNCTION event_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_append_only();

-- One row per after-commit delivery that took effect: the worker inserts it in the subscriber's own transaction, so a
-- repeated or concurrent delivery of the same (event, subscriber) finds it and does nothing — exactly once in effect.
CREATE TABLE event_deliveries (
    event_id        bigint NOT NULL REFERENCES event_log(id),
    subscriber      text NOT NULL,
    delivered_at    timestamptz NOT NULL,
    PRIMARY KEY (event_id, subscriber)
);

INSERT INTO event_log (name, version, entity, entity_id, actor_id, user_ids, data, occurred_at)
SELECT 'ActivityRecorded', 1, entity, entity_id, actor_id,
       CASE WHEN actor_id IS NULL THEN '{}'::bigint[] ELSE ARRAY[actor_id] END,
       jsonb_build_object('entity_name', entity, 'entity_id', entity_id, 'action', action, 'actor_id', actor_id,
                          'details', data),
       created_at
FROM activity_log ORDER BY id;
DROP TABLE activity_log;
