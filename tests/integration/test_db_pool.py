"""A pooled connection that died while idle (an SCF container frozen between invocations) is replaced on checkout,
and a connection handed back a moment ago is used without a ping round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError


def _kill_the_pooled_connection(engine) -> None:
    """Leave exactly one connection in the pool, idle, and terminate its server backend."""
    engine.pool.dispose()
    with engine.connect() as conn:
        victim = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    from sqlalchemy import create_engine

    killer = create_engine(engine.url)
    with killer.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": victim}).scalar_one()
    killer.dispose()


def test_dead_idle_connection_is_replaced(db, monkeypatch):
    monkeypatch.setattr("shared.db.IDLE_PING_SECONDS", 0.0)  # every checkout counts as "idle for long"
    _kill_the_pooled_connection(db)
    with db.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_recently_used_connection_is_not_pinged(db, monkeypatch):
    monkeypatch.setattr("shared.db.IDLE_PING_SECONDS", 3600.0)
    _kill_the_pooled_connection(db)
    # No ping on checkout: the dead connection is only found when used (and the pool then drops it).
    with pytest.raises(OperationalError), db.connect() as conn:
        conn.execute(text("SELECT 1"))
    with db.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
