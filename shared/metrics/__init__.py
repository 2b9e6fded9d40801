"""The metrics area: the business dashboard's aggregates (tables metrics_*, migration 0041).

- rules.py        pure: what each event adds (counters guarded by business-key facts, activity, registrations);
                  the plan's stages and the definitions of every number the dashboard shows.
- subscribers.py  `record`, the one after-commit subscriber of every event the dashboard counts.
- queries.py      the dashboard's read: a few hundred counter rows, whatever the size of the tasks table.
- backfill        `python -m shared.metrics backfill --since D --until D`: replays past events to `metrics.record`.
"""
