-- The task hall reads ids first from these covering indexes, then fetches only the page's rows (shared/tasks/hall.py).
-- The keyset walk tests every filter on index tuples (an index-only scan) instead of fetching each candidate row from
-- the heap: a sparse filter such as two rare tags went from ~3,900 rows examined to ~21 at a million tasks
-- (docs/BENCHMARKS.md). They replace the plain hall indexes of 0001 and 0005.
-- On a large production table build them CONCURRENTLY by hand first: this file runs in one transaction.
CREATE INDEX tasks_hall_newest_cover ON tasks (published_at DESC, id DESC)
    INCLUDE (deadline, difficulty, reward_fen, skill_tags, promoted_until) WHERE status = 'open';
CREATE INDEX tasks_hall_reward_cover ON tasks (reward_fen DESC, id DESC)
    INCLUDE (deadline, difficulty, skill_tags, promoted_until) WHERE status = 'open';
CREATE INDEX tasks_hall_deadline_cover ON tasks (deadline ASC, id ASC)
    INCLUDE (difficulty, reward_fen, skill_tags, promoted_until) WHERE status = 'open';
CREATE INDEX tasks_hall_promoted_cover ON tasks (promoted_until)
    INCLUDE (id, published_at, reward_fen, deadline, difficulty, skill_tags)
    WHERE status = 'open' AND promoted_until IS NOT NULL;
DROP INDEX IF EXISTS tasks_hall_newest;
DROP INDEX IF EXISTS tasks_hall_reward;
DROP INDEX IF EXISTS tasks_hall_deadline;
DROP INDEX IF EXISTS tasks_hall_promoted;
