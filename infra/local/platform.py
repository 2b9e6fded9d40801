"""Bring up CodeLink's dependencies on this machine: PostgreSQL (DATABASE_URL or the embedded pgserver), the schema,
and the loopback fakes of WeChat, Tencent SMS and SCF — then point the settings at them.

Used by `make dev` (infra/local/dev.py), the tests (tests/conftest.py), the demo and the benchmarks, so all four run
the platform the same way.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text

from infra.migrate import migrate
from shared import db
from shared.adapters import clients
from shared.config import reset_settings

log = logging.getLogger("codelink.local")

ROOT = Path(__file__).resolve().parents[2]
DEV_APPID = "wx-dev-appid"
DEV_SECRET = "dev-secret"
DEV_SECRET_ID = "AKIDdev"
DEV_SECRET_KEY = "dev-secret-key"
DEV_SESSION_TOKEN = "dev-session-token"  # the fakes hold the credentials to be temporary, like an execution role's


def server_url(data_dir: Path) -> str:
    """The PostgreSQL server to use: DATABASE_URL if set, else the embedded one under `data_dir`."""
    url = os.environ.get("DATABASE_URL")
    return db.sqlalchemy_url(url) if url else db.sqlalchemy_url(db.embedded_database_url(str(data_dir)))


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def ensure_database(url: str, name: str, *, fresh: bool) -> str:
    """Create database `name` on the server of `url` (dropping it first when `fresh`); return its URL."""
    admin = create_engine(with_database(url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if fresh:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return with_database(url, name)


@dataclass
class LocalPlatform:
    data_dir: Path = ROOT / ".data"
    database_name: str = "codelink"
    fresh_database: bool = False
    jobs_kick: str = "off"
    wechat_port: int = 0
    sms_port: int = 0
    scf_port: int = 0
    wechatpay_port: int = 0
    beacon_port: int = 0  # the lottery's fake drand beacon
    gateway_port: int | None = None  # start the local gateway (Function URLs) on this port; None = don't
    notification_retry_schedule: tuple[float, ...] | None = None  # WeChat Pay retries; None = WeChat's own
    refund_delay: float | None = 1.0  # seconds before a refund succeeds by itself; None = only on control
    dispatch: Any = None  # (function name, event) -> result; runs async invocations for the SCF fake
    fakes: dict[str, Any] = field(default_factory=dict)
    database_url: str = ""
    gateway: Any = None

    def start(self) -> LocalPlatform:
        from infra.fakes.beacon import FakeBeacon
        from infra.fakes.tencent_scf import FakeScf
        from infra.fakes.tencent_sms import FakeTencentSms
        from infra.fakes.wechat import FakeWeChat
        from infra.fakes.wechatpay import FakeWeChatPay, load_or_generate_keys

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = ensure_database(server_url(self.data_dir / "pg"), self.database_name,
                                            fresh=self.fresh_database)
        wechat = FakeWeChat(DEV_APPID, DEV_SECRET, port=self.wechat_port)
        sms = FakeTencentSms(DEV_SECRET_ID, DEV_SECRET_KEY, token=DEV_SESSION_TOKEN, port=self.sms_port)
        runner = None
        if self.gateway_port is not None:
            from infra.local.gateway import FunctionRunner, LocalGateway

            runner = FunctionRunner()
            self.gateway = LocalGateway(port=self.gateway_port, runner=runner)
        dispatch = self.dispatch or (runner.dispatch if runner else _no_dispatch)
        scf = FakeScf(dispatch, DEV_SECRET_ID, DEV_SECRET_KEY, token=DEV_SESSION_TOKEN, port=self.scf_port)
        pay_options: dict[str, Any] = {"refund_delay": self.refund_delay}
        if self.notification_retry_schedule is not None:
            pay_options["retry_schedule"] = self.notification_retry_schedule
        pay = FakeWeChatPay(load_or_generate_keys(self.data_dir / "wechatpay"), port=self.wechatpay_port,
                            appid=DEV_APPID, **pay_options)
        beacon = FakeBeacon(port=self.beacon_port)
        for fake in (wechat, sms, scf, pay, beacon):
            fake.start()
        self.fakes = {"wechat": wechat, "sms": sms, "scf": scf, "wechatpay": pay, "beacon": beacon}
        if self.gateway is not None:
            self.gateway.start()
        self.configure_environment()
        migrate(db.get_engine())
        return self

    def environment(self) -> dict[str, str]:
        wechat, sms, scf, pay = (self.fakes[k] for k in ("wechat", "sms", "scf", "wechatpay"))
        public = self.gateway.base_url if self.gateway is not None else "http://127.0.0.1:9000"
        return {
            **pay.settings_env(),
            "PUBLIC_BASE_URL": public,
            "DATABASE_URL": self.database_url,
            "WECHAT_APPID": DEV_APPID,
            "WECHAT_SECRET": DEV_SECRET,
            "WECHAT_API_BASE": wechat.base_url,
            # What SCF injects from the execution role (never the deployer's TENCENT_SECRET_ID/KEY).
            "TENCENTCLOUD_SECRETID": DEV_SECRET_ID,
            "TENCENTCLOUD_SECRETKEY": DEV_SECRET_KEY,
            "TENCENTCLOUD_SESSIONTOKEN": DEV_SESSION_TOKEN,
            "SMS_ENDPOINT": f"127.0.0.1:{sms.port}",
            "SMS_PROTOCOL": "http",
            "SCF_ENDPOINT": f"127.0.0.1:{scf.port}",
            "SCF_PROTOCOL": "http",
            "LOTTERY_BEACON_URL": self.fakes["beacon"].base_url,
            "JOBS_KICK": self.jobs_kick,
            "LOG_FORMAT": "text",  # a developer's terminal; the cloud logs JSON lines (shared/logs.py)
        }

    def configure_environment(self) -> None:
        os.environ.update(self.environment())
        reset_settings()
        clients.reset()
        db.reset_engine()

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
        for fake in self.fakes.values():
            fake.stop()
        db.reset_engine()

    def drop_database(self) -> None:
        admin = create_engine(with_database(self.database_url, "postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def _no_dispatch(function: str, event: dict) -> None:
    log.info("async invoke of %s ignored (no local dispatcher)", function)


def truncate_all(engine: Any) -> None:
    """Empty every table but the reference data (skills) and the migrations record, and restart the id sequences:
    test isolation.

    DELETE with triggers off (`session_replication_role = replica`: the ledger's immutability triggers and FK checks
    stay quiet) takes milliseconds; TRUNCATE takes most of a second because it rewrites every table the foreign keys
    cascade to. It needs a superuser, which the embedded server gives us; elsewhere we fall back to TRUNCATE.
    """
    keep = {"schema_migrations", "skills", "skill_categories"}
    with engine.begin() as conn:
        tables = [r.tablename for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) if r.tablename not in keep]
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        if not tables:
            return
        if not superuser:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))
        for (sequence,) in conn.execute(text(
                "SELECT quote_ident(sequence_name) FROM information_schema.sequences"
                " WHERE sequence_schema = 'public'")).all():
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
