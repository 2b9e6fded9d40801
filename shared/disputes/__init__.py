"""Disputes over a delivered task: evidence from both sides, an admin's ruling executed by the ledger."""
