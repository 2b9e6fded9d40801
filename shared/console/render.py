"""Jinja2 for the console: one environment per container, templates from shared/console/templates, autoescaped,
undefined names are errors (a typo fails the tests, not silently renders nothing). Jinja2 is imported here and only
here, on the first page rendered: the other functions never load it, and the admin function's JSON routes neither."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.clock import SHANGHAI

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"


def yuan(fen: int | None) -> str:
    """Integer fen as ¥1,234.56 (exact: no float)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def beijing(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(SHANGHAI).strftime(fmt)


def day(value: date | None) -> str:
    return value.strftime("%m-%d") if value else "—"


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def safe_url(value: Any) -> str:
    """Links users gave (evidence, deliveries) only as http(s): never javascript: or data: in an operator's browser."""
    text = str(value or "")
    return text if text.lower().startswith(("https://", "http://")) else "#"


def pretty(value: Any) -> str:
    """A JSON value as operators read it (Chinese unescaped)."""
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, default=str)


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from shared.console import labels
    from shared.console.static import url

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(yuan=yuan, bj=beijing, day=day, pct=percent, pretty=pretty, safe_url=safe_url,
                       event_name=labels.event_name, action_name=labels.action_name,
                       task_status=labels.task_status, role_name=labels.role_name,
                       application_status=labels.application_status, decision_name=labels.decision_name)
    env.globals.update(static=url, BASE="/admin/console")
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
