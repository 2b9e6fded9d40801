-- The hall's match sort (shared/tasks/hall.py): two indexes for reading score classes of task shapes.
-- Open tasks newest id first with their shape: a class of many shapes is read by walking this backwards with a hashed
-- shape filter, index-only (no heap visit per skipped task).
CREATE INDEX tasks_hall_id_shape ON tasks (id DESC)
    INCLUDE (shape_id, difficulty, deadline, reward_fen, promoted_until) WHERE status = 'open';
-- The match sort scores shapes band by band of tag count (1, 2, 3, 4, more): the few-tag band alone, read index-only.
CREATE INDEX task_shapes_ntags ON task_shapes (ntags) INCLUDE (skill_tags);
