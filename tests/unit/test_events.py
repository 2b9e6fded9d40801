"""events/ holds a sample event for every trigger of every function in serverless.yml, and nothing stale."""

from __future__ import annotations

import json
from pathlib import Path

from infra.local.manifest import load_manifest

EVENTS = Path(__file__).resolve().parents[2] / "events"


def expected_files() -> set[str]:
    names = {"jobs_worker.kick.json"}  # the async invoke that kicks the worker after a commit
    for f in load_manifest().functions.values():
        if f.http:
            names.add(f"{f.name}.url.json")
        names.update(f"{f.name}.{t.name}.json" for t in f.timers)
    return names


def test_every_trigger_has_a_sample_event_and_none_is_stale():
    assert {p.name for p in EVENTS.glob("*.json")} == expected_files()


def test_sample_events_have_the_scf_shapes():
    for path in EVENTS.glob("*.json"):
        event = json.loads(path.read_text(encoding="utf-8"))
        function, kind = path.stem.split(".", 1)
        if kind == "url":
            assert {"httpMethod", "path", "headers", "queryString", "body"} <= set(event)
            assert event["path"].split("/")[1] == function
            assert all(k == k.lower() for k in event["headers"])
        elif kind == "kick":
            assert event == {"kind": "kick"}
        else:
            assert event["Type"] == "Timer" and event["TriggerName"] == kind
