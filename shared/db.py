"""Database engine: PostgreSQL only. `DATABASE_URL` when set, otherwise an embedded server (pgserver) under
`.data/pg`, so a fresh machine needs nothing installed. SCF production always sets DATABASE_URL.

One engine per process (per warm SCF container); a small pool because each container serves one request at a time.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from shared.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_engine: Engine | None = None
_engine_lock = threading.Lock()
_embedded_server: object | None = None


def embedded_database_url(data_dir: str | None = None) -> str:
    """Start (or join) the embedded PostgreSQL and return its URL. pgserver is imported only here: it is a
    local/test dependency and never part of the SCF layer."""
    global _embedded_server
    import os
    import warnings

    directory = os.path.abspath(data_dir or get_settings().embedded_pg_dir)
    os.makedirs(directory, exist_ok=True)
    # pgserver keeps a list of the processes using the server and stops it when the last one exits, so `make dev`,
    # the tests and the benchmarks can share one server and Ctrl-C leaves nothing running. Data stays on disk.
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back to /tmp: that is fine.
        warnings.simplefilter("ignore")
        import pgserver

        _embedded_server = pgserver.get_server(directory)
    # Our data lives in the `codelink` database of that server (pgserver's URI names `postgres`), so every local
    # command — make dev, migrate, admin, invoke, ledger-check — meets the same data.
    uri = str(_embedded_server.get_uri())
    from sqlalchemy import create_engine, text

    admin = create_engine(sqlalchemy_url(uri), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'codelink'")).first():
                conn.execute(text("CREATE DATABASE codelink"))
    finally:
        admin.dispose()
    return uri.replace("/postgres?", "/codelink?", 1)


def database_url() -> str:
    url = get_settings().database_url or embedded_database_url()
    return sqlalchemy_url(url)


def sqlalchemy_url(url: str) -> str:
    """Normalise `postgres://` / `postgresql://` to the psycopg2 driver SQLAlchemy should use."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from sqlalchemy import create_engine

                settings = get_settings()
                _engine = create_engine(
                    database_url(),
                    pool_size=settings.db_pool_size,
                    max_overflow=8,
                    # Every session runs in UTC; conversions to Asia/Shanghai happen in Python (shared.clock).
                    connect_args={"options": "-c timezone=UTC"},
                )
                _ping_idle_connections(_engine)
    return _engine


# A connection can die while an SCF container is frozen between invocations, so a connection that sat idle is
# checked before use. pool_pre_ping would check every checkout — a round trip on every request, twice for an
# authenticated one — although a connection handed back a moment ago is alive. So: ping only after this much idleness.
IDLE_PING_SECONDS = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    import time

    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # a new connection, or one that was in use a moment ago
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:
            # SQLAlchemy's documented pessimistic-disconnect hook: the pool drops this one and connects afresh.
            raise DisconnectionError() from exc


def reset_engine() -> None:
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
