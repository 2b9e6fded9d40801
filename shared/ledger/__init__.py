"""The double-entry money ledger (integer fen). See infra/migrations/0002_ledger.sql for the invariants the database
enforces, and shared/ledger/accounts.py for the chart of accounts."""
