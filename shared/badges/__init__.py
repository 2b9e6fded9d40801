"""Badges and titles (issue 8): rules as data, granted by an after-commit subscriber of the events they count,
re-checked nightly, backfilled by event replay. See docs/GROWTH-BADGES.md."""
