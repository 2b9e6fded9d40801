"""Every sample event runs through its function as `make invoke` would, and gets a proper answer (never a 500)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.local.gateway import FunctionRunner

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_every_sample_event_gets_a_proper_answer(db):
    runner = FunctionRunner()
    for path in sorted(EVENTS.glob("*.json")):
        function, kind = path.stem.split(".", 1)
        answer = runner.invoke(function, json.loads(path.read_text(encoding="utf-8")))
        if kind == "url":
            assert 200 <= answer["statusCode"] < 500, (path.name, answer)
            body = json.loads(answer["body"])
            assert answer["statusCode"] < 400 or {"code", "message"} <= set(body), (path.name, body)
        else:
            assert answer["ok"] is True, (path.name, answer)
