-- The reasons a dispute ruling relied on (issue 12): the mediator picks them from the risk assessment's reasons
-- (both parties' credit profiles, the chat's flags, the task's facts); kept with the ruling.
ALTER TABLE disputes ADD COLUMN ruling_reasons jsonb NOT NULL DEFAULT '[]';
