"""Challenges (issue 9): challenges as data (rules.py), progress from domain events (service.py, subscribers.py), the
daily check-in with streaks and freezes (checkin.py, function `checkin`), the routes of functions `challenges` and
`checkin`. docs/CHALLENGES.md."""
