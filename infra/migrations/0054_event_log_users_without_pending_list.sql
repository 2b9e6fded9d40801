-- The event log's user index (GIN over user_ids) without its pending list. With fastupdate (the default) new entries
-- wait in an unsorted list of up to gin_pending_list_limit (4 MB) until a vacuum, and EVERY search reads that whole
-- list: after the nightly badge re-check's own first night had written ~50,000 events, one user's lookup read ~110
-- pages (1.5 ms instead of 0.05 ms) and a batch of 200 users' facts took 140 ms instead of 10 ms (bench/growth.py,
-- 20,000 developers). Events concern one or two users, so writing their entries straight into the index is cheap,
-- and every reader — the live badge subscriber, the nightly re-check, disputes, credit — gets the fast lookup.
ALTER INDEX event_log_users SET (fastupdate = off);
-- Turning it off keeps what is pending; clean it now rather than at the next vacuum.
SELECT gin_clean_pending_list('event_log_users');
