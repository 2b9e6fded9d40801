"""The whole story over HTTP through the local gateway, exactly as `make demo` plays it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from infra.local.client import request
from infra.local.story import play
from shared.auth.service import make_admin
from shared.ledger.check import check_ledger
from shared.uow import run

pytestmark = pytest.mark.e2e


def test_the_whole_story(client, db, clock):
    # The story talks to the fakes, which sign with the wall clock (as WeChat does): run it at the real time.
    clock.set(datetime.now(timezone.utc))
    run(lambda uow: make_admin(uow, "+8613600000001"))
    steps: list[str] = []
    result = play(client, steps.append, admin_phone="13600000001")
    numbered = [s.split(". ", 1)[0] for s in steps if not s.startswith(" ")]
    assert numbered == [str(n) for n in range(1, len(numbered) + 1)] and result["steps"] == len(numbered)
    told = "\n".join(steps)
    for part in ("一键投递", "双方互评", "开发者查看成长", "运营后台（网页）"):
        assert part in told, part
    assert result["xp"] == 5 * 3 * 10  # 5 stars × difficulty 3 × 10
    with db.connect() as conn:
        status = conn.execute(text("SELECT status FROM tasks WHERE id = :t"), {"t": result["task_id"]}).scalar_one()
        assert status == "completed"
        assert conn.execute(text("SELECT count(*) FROM ratings WHERE task_id = :t"),
                            {"t": result["task_id"]}).scalar_one() == 2
        assert conn.execute(text("SELECT sum(points) FROM skill_point_entries WHERE ref = :r"),
                            {"r": f"task:{result['task_id']}"}).scalar_one() == 2 * 6  # two tags × weight 6
        assert check_ledger(conn).ok


def test_gateway_answers_like_function_urls(client):
    base = client.gateway
    assert request("GET", base + "/healthz").status == 200
    doc = request("GET", base + "/openapi.json")
    assert doc.status == 200 and doc.body["openapi"] == "3.1.0" and "/tasks" in doc.body["paths"]
    assert request("GET", base + "/nope").status == 404
    r = request("GET", base + "/tasks", query={"difficulty_min": "x"})
    assert r.status == 422 and r.body["errors"][0]["field"] == "difficulty_min"


def test_malformed_requests_over_http_are_4xx_never_500(client):
    import urllib.request

    for body in (b"{not json", b"[1,2]", b"\xff\xfe", b"null"):
        req = urllib.request.Request(client.gateway + "/auth/wechat", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            status = urllib.request.urlopen(req, timeout=10).status
        except urllib.error.HTTPError as err:
            status = err.code
        assert status in (400, 422), body
    r = request("POST", client.gateway + "/tasks", {"title": "x"}, token="not-a-token")
    assert r.status == 401 and r.body["code"] == "INVALID_TOKEN"
