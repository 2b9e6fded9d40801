-- The hall's `match` sort (shared/tasks/hall.py) scores a task by its tag set and difficulty only, so it ranks the
-- distinct tag sets ("shapes") instead of every open task, then reads the tasks of the best shapes by keyset.
-- A trigger keeps tasks.shape_id in step with tasks.skill_tags (the tasks area's writes are unchanged); a shape is the
-- sorted, distinct tag set. Shapes are never deleted (a few thousand rows; scoring one costs microseconds).
-- On a large production table backfill and build the index by hand first: this file runs in one transaction.
CREATE TABLE task_shapes (
    id         bigserial PRIMARY KEY,
    skill_tags text[] NOT NULL UNIQUE,
    ntags      int NOT NULL CHECK (ntags >= 1)
);
CREATE INDEX task_shapes_tags ON task_shapes USING gin (skill_tags);

CREATE FUNCTION task_shape_id(tags text[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    norm text[] := ARRAY(SELECT DISTINCT t FROM unnest(tags) AS t WHERE t IS NOT NULL ORDER BY t);
    found bigint;
BEGIN
    IF cardinality(norm) = 0 THEN
        RETURN NULL;
    END IF;
    SELECT id INTO found FROM task_shapes WHERE skill_tags = norm;
    IF found IS NULL THEN
        INSERT INTO task_shapes (skill_tags, ntags) VALUES (norm, cardinality(norm))
            ON CONFLICT (skill_tags) DO NOTHING RETURNING id INTO found;
        IF found IS NULL THEN  -- a concurrent insert of the same set committed first (READ COMMITTED sees it)
            SELECT id INTO found FROM task_shapes WHERE skill_tags = norm;
        END IF;
        IF found IS NULL THEN  -- never leave a tagged task without its shape: the match sort would not show it
            RAISE EXCEPTION 'task shape of % not found', norm USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;
    RETURN found;
END $$;

CREATE FUNCTION tasks_set_shape() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.shape_id := task_shape_id(NEW.skill_tags);
    RETURN NEW;
END $$;

ALTER TABLE tasks ADD COLUMN shape_id bigint REFERENCES task_shapes(id);
UPDATE tasks SET shape_id = task_shape_id(skill_tags);
CREATE TRIGGER tasks_shape BEFORE INSERT OR UPDATE OF skill_tags ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_set_shape();
-- One shape's open tasks newest id first, with what the hall filters on (an index-only walk per shape).
CREATE INDEX tasks_hall_shape ON tasks (shape_id, id DESC)
    INCLUDE (difficulty, deadline, reward_fen, promoted_until) WHERE status = 'open';
