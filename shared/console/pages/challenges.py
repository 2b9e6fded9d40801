"""Challenge configuration: every challenge (active or not) with its window, conditions and rewards; editing one (or
creating one) goes through challenges' own use case, save_challenge, which validates the definition (a wrong field
is refused with its path and reason, shown next to the form as typed), keeps windows already opened on the rules
they were opened with, and publishes AdminAudited (before/after). Below the list: the check-in streak repair after a
platform outage (checkin.repair_streaks: the days excused for everyone, streaks recomputed, audited)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from shared.challenges import checkin
from shared.challenges import schemas as challenge_schemas
from shared.challenges import service as challenges
from shared.console import web
from shared.errors import ValidationFailed
from shared.uow import UnitOfWork, run

web.nav("challenges", "挑战配置", "/challenges", order=56)

WINDOWS = {"registration": "注册后", "daily": "每天", "weekly": "每周", "monthly": "每月"}
NEW = {"name": "", "description": "", "definition": challenge_schemas.WEEKLY_EXAMPLE, "active": False, "position": 100}


def definition_text(definition: Any) -> str:
    return json.dumps(definition, ensure_ascii=False, indent=2)


def form_from(form: dict[str, str]) -> challenge_schemas.ChallengeIn:
    """The edit form through the JSON route's own model; the definition is typed as JSON."""
    try:
        definition = json.loads(form.get("definition", ""))
    except ValueError as exc:
        raise ValidationFailed.field("definition", f"不是合法的 JSON（第 {getattr(exc, 'lineno', '?')} 行）") from None
    position = form.get("position", "0").strip() or "0"
    return web.validated(challenge_schemas.ChallengeIn, {
        "name": form.get("name", "").strip(), "description": form.get("description", "").strip(),
        "definition": definition, "active": form.get("active") == "on", "position": position,
        "reason": form.get("reason", "").strip()})


@web.get("/challenges", nav="challenges")
def listing(page: web.Page) -> web.Answer:
    """挑战列表"""
    items, excused = run(lambda uow: (challenges.list_all(uow).items, _excused(uow)))
    return web.html(page, "challenges.html", items=items, windows=WINDOWS, excused=excused)


def _excused(uow: UnitOfWork) -> list[Any]:
    return uow.execute("SELECT e.day, e.reason, e.created_at, u.nickname, e.admin_id FROM checkin_excused_days e"
                       " LEFT JOIN users u ON u.id = e.admin_id ORDER BY e.day DESC LIMIT 30").all()


@web.post("/checkins/repair")
def repair(page: web.Page) -> web.Answer:
    """修复连续签到"""
    f = page.form
    body = web.validated(challenge_schemas.RepairIn, {"start": f.get("start", "").strip(),
                                                      "end": f.get("end", "").strip() or f.get("start", "").strip(),
                                                      "reason": f.get("reason", "").strip()})

    def use_case(uow: UnitOfWork) -> tuple[challenge_schemas.RepairOut, list[Any]]:
        return checkin.repair_streaks(uow, page.admin_id, body), _excused(uow)

    done, excused = run(use_case)
    return web.partial(page, "partials/checkin_repair.html", back=f"{web.BASE}/challenges", excused=excused,
                       done=f"已豁免 {len(done.excused_days)} 天，重新计算了 {done.users_repaired} 位用户的连续签到。")


@web.get("/challenges/{challenge_key:str}", nav="challenges")
def edit(page: web.Page) -> web.Answer:
    """编辑挑战"""
    key = page.params["challenge_key"]
    if key == "new" and page.query.get("key"):  # the list's "new challenge" form
        return web.redirect(f"{web.BASE}/challenges/{quote(page.query['key'].strip(), safe='')}")
    found = {c.key: c for c in run(challenges.list_all).items}.get(key)
    values: dict[str, Any] = found.model_dump() if found else {"key": key, "version": 0, **NEW}
    return web.html(page, "challenge.html", key=key, values=values, definition=definition_text(values["definition"]),
                    is_new=found is None)


@web.post("/challenges/{challenge_key:str}")
def save(page: web.Page) -> web.Answer:
    """保存挑战"""
    key = page.params["challenge_key"]
    body = form_from(page.form)
    saved = run(lambda uow: challenges.save_challenge(uow, page.admin_id, key, body))
    return web.partial(page, "partials/challenge_form.html", back=f"{web.BASE}/challenges/{key}", key=key,
                       values=saved.model_dump(), definition=definition_text(saved.definition), is_new=False,
                       done=f"已保存，当前版本 v{saved.version}；进行中的周期沿用原规则，新周期按此生效。")
