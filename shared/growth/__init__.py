"""Growth: skill points, XP, levels S/A/B/C, the points ledger and fair play — all driven by other areas' events
(shared/growth/subscribers.py); other areas read growth only through shared/growth/queries.py. docs/GROWTH.md."""
