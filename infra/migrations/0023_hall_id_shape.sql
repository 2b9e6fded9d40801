-- Open tasks newest id first with their shape: a class of many shapes is read by walking this backwards with a hashed
-- shape filter, index-only (no heap visit per skipped task).
CREATE INDEX tasks_hall_id_shape ON tasks (id DESC)
    INCLUDE (shape_id, difficulty, deadline, reward_fen, promoted_until) WHERE status = 'open';
