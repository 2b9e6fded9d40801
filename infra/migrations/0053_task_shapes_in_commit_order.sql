-- New tag sets ("shapes", 0022) are created one at a time, so their ids are committed in id order: max(id) of
-- task_shapes then names exactly which shapes exist, and the hall's match sort keys the bands of shapes it keeps
-- between pages on it (shared/tasks/hall.py ScoredBands). Without this, an id is taken at insert but seen at commit:
-- two tasks creating tag sets at once could commit out of id order, the lower id appearing with max(id) unchanged,
-- and a page would miss its tasks until the next new shape. The transaction-scoped advisory lock is taken only
-- when the tag set is new (~1 % of tasks at the benchmark seed) and held to commit; existing sets are not locked.
CREATE OR REPLACE FUNCTION task_shape_id(tags text[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    norm text[] := ARRAY(SELECT DISTINCT t FROM unnest(tags) AS t WHERE t IS NOT NULL ORDER BY t);
    found bigint;
BEGIN
    IF cardinality(norm) = 0 THEN
        RETURN NULL;
    END IF;
    SELECT id INTO found FROM task_shapes WHERE skill_tags = norm;
    IF found IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('task_shapes:create'));
        -- the creator we may have waited for has committed: its shape is seen now (a new snapshot per statement)
        SELECT id INTO found FROM task_shapes WHERE skill_tags = norm;
    END IF;
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
