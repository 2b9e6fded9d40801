"""The benchmark's platform: `LocalPlatform` on the dedicated `codelink_bench` database, jobs kick off (apply makes
no async invoke), and logging set up like a function's (INFO, formatted) but written to /dev/null, so per-request
logging is paid for as in production without flooding the terminal. Warnings still reach stderr."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

DATABASE = "codelink_bench"
_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"  # shared.runtime.bootstrap's format


def configure_logging() -> None:
    root = logging.getLogger()
    if getattr(root, "_codelink_bench", False):
        return
    for handler in list(root.handlers):
        root.removeHandler(handler)
    sink = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    sink.setFormatter(logging.Formatter(_FORMAT))
    sink.setLevel(logging.INFO)
    loud = logging.StreamHandler(sys.stderr)
    loud.setFormatter(logging.Formatter(_FORMAT))
    loud.setLevel(logging.WARNING)
    root.addHandler(sink)
    root.addHandler(loud)
    root.setLevel(logging.INFO)
    root._codelink_bench = True  # type: ignore[attr-defined]


def start_platform() -> Any:
    os.environ["JOBS_KICK"] = "off"
    configure_logging()
    from infra.local.platform import LocalPlatform

    return LocalPlatform(database_name=DATABASE, jobs_kick="off").start()
