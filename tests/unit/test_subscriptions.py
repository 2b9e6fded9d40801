"""The subscriber table (shared/subscriptions.py) and the event types it names stay consistent, and the events table
in docs/ARCHITECTURE.md is the one generated from them."""

from __future__ import annotations

import importlib
import inspect

import pytest

from shared import events, subscriptions
from shared.events import docs


def test_every_subscription_names_a_known_event_and_resolves_to_a_subscriber():
    for name, subs in subscriptions.SUBSCRIPTIONS.items():
        assert name in events.REGISTRY, f"no event named {name}"
        assert len({s.name for s in subs}) == len(subs), f"two subscribers of {name} share a name"
        for s in subs:
            assert s.mode in (subscriptions.IN_TRANSACTION, subscriptions.AFTER_COMMIT)
            module, _, attr = s.target.partition(":")
            fn = getattr(importlib.import_module(module), attr)
            assert list(inspect.signature(fn).parameters) == ["uow", "stored"], s.target
            area = s.name.split(".")[0]
            assert f".{area}" in module or module == f"shared.{area}", f"{s.name} lives outside its area: {module}"


def test_resolving_a_target_is_not_done_at_import():
    """The table is plain data: importing it loads no area (cold start, and no registration by side effect)."""
    import subprocess
    import sys

    code = ("import sys, shared.subscriptions; "
            "print(sorted(m for m in sys.modules if m.startswith('shared.') and m.count('.') > 1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.strip() == "[]"


def test_events_round_trip_through_their_stored_form():
    e = events.ApplicationsClosed(task_id=1, merchant_id=2, reason="position_filled", application_ids=(3, 4),
                                  developer_ids=(5, 6), answered=2, answered_on_time=1)
    import json

    stored = json.loads(json.dumps(e.data()))
    assert events.parse(e.name, e.version, stored) == e
    assert e.users() == [2, 5, 6] and e.entity_ref() == ("task", 1)


def test_events_are_immutable_and_check_their_fields():
    e = events.TaskClosed(task_id=1, merchant_id=2, reason="cancelled")
    with pytest.raises(AttributeError):
        e.reason = "expired"  # type: ignore[misc]
    with pytest.raises(TypeError):
        events.TaskClosed(task_id=1, merchant_id=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        events.TaskClosed(task_id=1, merchant_id=2, reason="x", colour="red")  # type: ignore[call-arg]


def test_the_architecture_page_lists_the_current_table():
    text = docs.DOC.read_text(encoding="utf-8")
    assert docs.updated(text) == text, "docs/ARCHITECTURE.md is stale: run `make events-doc`"
