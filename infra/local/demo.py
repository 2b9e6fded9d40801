"""`make demo`: play the whole story over HTTP against the local gateway, starting the platform if it is not running.
Exit 0 only if every step gave the expected answer and `make ledger-check` passes at the end."""

from __future__ import annotations

import logging
import os
import random
import sys


def _use_dev_database() -> None:
    """Point this process at `make dev`'s database (embedded server's `codelink`, or DATABASE_URL's server)."""
    from infra.local.platform import ROOT, ensure_database, server_url
    from shared.config import reset_settings
    from shared.db import reset_engine

    os.environ["DATABASE_URL"] = ensure_database(server_url(ROOT / ".data" / "pg"), "codelink", fresh=False)
    reset_settings()
    reset_engine()


def main() -> int:
    from infra.local.client import CallFailed, LocalClient
    from infra.local.story import play
    from shared.auth.service import make_admin
    from shared.uow import run

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the COS fake's (moto's) server logs each request
    client = LocalClient()
    platform = None
    if client.healthy():
        _use_dev_database()
    else:
        print("本地网关未运行，正在启动（与 make dev 相同的配置）…")
        from infra.local.dev import dev_platform

        # The functions run in this process: their logging setup (shared/runtime.py) would print every request's
        # log line amid the story. Warnings and errors only, as the story is what this prints.
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        platform = dev_platform().start()
    # A fresh operator for this run, as `make admin PHONE=…` would create one.
    admin_phone = f"136{random.randint(0, 10**8 - 1):08d}"
    run(lambda uow: make_admin(uow, "+86" + admin_phone))
    try:
        told = play(client, lambda line: print(line, flush=True), admin_phone=admin_phone)
        steps = told["steps"]
        assert isinstance(steps, int)
        code = _ledger_check(steps + 1)
    except CallFailed as exc:
        print(f"\n✗ 演示失败：{exc}")
        code = 1
    finally:
        if platform is not None:
            platform.stop()
    if code == 0:
        print("\n✓ 演示完成：每一步都得到了预期的结果")
        from infra.local.story_console import console_url

        print(f"运营后台：{console_url(client)}（make admin PHONE=… 授权后短信登录；开着 make dev 时可用）")
    return code


def _ledger_check(number: int) -> int:
    from shared.db import get_engine
    from shared.ledger.check import check_ledger

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    print(f"{number}. 账本检查（make ledger-check）：{report.transactions} 笔交易，{'通过' if report.ok else '失败'}")
    for problem in report.problems:
        print("   ", problem)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
