"""Badge rules: every badge with its rule, holders and state; a new badge's rule previewed (how many users it would
grant now, without changing anything) before it is created, a saved badge previewed before it is enabled; a badge's
rule edited (the edited rule previewed before it is saved; an enabled badge whose rule changed is backfilled under the
new rule); enable (which backfills from past events, without notifications) or disable with a reason; a revocable
badge taken back from one user with a reason. Every write is badges' own use case, which publishes AdminAudited
(before/after)."""

from __future__ import annotations

import json
from typing import Any

from shared.badges import schemas as badge_schemas
from shared.badges import service as badges
from shared.console import web
from shared.errors import ValidationFailed
from shared.uow import UnitOfWork, run

web.nav("badges", "徽章规则", "/badges", order=57)

KINDS = {"count": "次数", "first": "首次", "sum": "数值累计", "avg_rating": "平均评分", "streak": "连续打卡",
         "rank": "排行榜名次", "level": "等级", "challenge": "挑战"}


def _holders(uow: UnitOfWork) -> dict[str, int]:
    return {r.badge_key: int(r.n) for r in uow.execute(
        "SELECT g.badge_key, count(DISTINCT g.user_id) AS n FROM badge_grants g WHERE NOT EXISTS"
        " (SELECT 1 FROM badge_revocations r WHERE r.grant_id = g.id) GROUP BY g.badge_key").all()}


def _badge_row(uow: UnitOfWork, key: str) -> dict[str, Any]:
    return {"badge": badges.get_badge(uow, key), "holders": _holders(uow).get(key, 0)}


def spec_from_form(form: dict[str, str], key: str | None = None) -> badges.BadgeSpec:
    """The badge form through the JSON route's own model: params as JSON, triggers separated by commas; `key` is
    the saved badge's (the edit form has none)."""
    try:
        params = json.loads(form.get("params", "").strip() or "{}")
    except ValueError:
        raise ValidationFailed.field("params", "规则参数不是合法的 JSON") from None
    triggers = [t.strip() for t in form.get("triggers", "").replace("，", ",").split(",") if t.strip()]
    body = web.validated(badge_schemas.BadgeCreate, {
        "key": key if key is not None else form.get("key", "").strip(), "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(), "rule_kind": form.get("rule_kind", ""),
        "params": params, "triggers": triggers, "repeatable": form.get("repeatable") == "on",
        "revocable": form.get("revocable") == "on", "wearable": form.get("wearable") == "on"})
    return badges.spec_from(body.model_dump())


@web.get("/badges", nav="badges")
def listing(page: web.Page) -> web.Answer:
    """徽章规则"""
    def read(uow: UnitOfWork) -> list[dict[str, Any]]:
        held = _holders(uow)
        return [{"badge": b, "holders": held.get(b.key, 0)} for b in badges.list_badges(uow)]

    return web.html(page, "badges.html", rows=run(read), kinds=KINDS)


@web.post("/badges/preview")
def preview_new(page: web.Page) -> web.Answer:
    """预览新徽章规则"""
    spec = spec_from_form(page.form)
    result = run(lambda uow: badges.preview(uow, spec))
    return web.partial(page, "partials/badge_preview.html", back=f"{web.BASE}/badges", preview=result, key=spec.key)


@web.post("/badges/create")
def create(page: web.Page) -> web.Answer:
    """新建徽章（未启用）"""
    spec = spec_from_form(page.form)
    row = run(lambda uow: (badges.create_badge(uow, page.admin_id, spec), _badge_row(uow, spec.key))[1])
    return web.partial(page, "partials/badge_created.html", back=f"{web.BASE}/badges", row=row, kinds=KINDS,
                       done="已新建（未启用）：先预览，再启用。")


@web.post("/badges/{badge_key:str}/preview")
def preview_saved(page: web.Page) -> web.Answer:
    """预览徽章规则（已保存的，或编辑中的）"""
    key = page.params["badge_key"]
    edited = spec_from_form(page.form, key) if "rule_kind" in page.form else None

    def use_case(uow: UnitOfWork) -> badges.Preview:
        b = badges.get_badge(uow, key)
        return badges.preview(uow, edited or badges.BadgeSpec(b.key, b.name, b.description, b.rule_kind, b.params,
                                                              b.triggers, b.repeatable, b.revocable, b.wearable))

    return web.partial(page, "partials/badge_preview.html", back=f"{web.BASE}/badges", preview=run(use_case), key=key)


def _editor(b: badges.Badge) -> dict[str, Any]:
    return {"badge": b, "params": json.dumps(b.params, ensure_ascii=False), "triggers": ", ".join(b.triggers)}


@web.get("/badges/{badge_key:str}", nav="badges")
def edit(page: web.Page) -> web.Answer:
    """编辑徽章"""
    key = page.params["badge_key"]
    return web.html(page, "badge.html", kinds=KINDS, **run(lambda uow: _editor(badges.get_badge(uow, key))))


@web.post("/badges/{badge_key:str}/edit")
def save(page: web.Page) -> web.Answer:
    """保存徽章修改"""
    key = page.params["badge_key"]
    spec = spec_from_form(page.form, key)
    reason = web.validated(badge_schemas.BadgeReasonIn, {"reason": page.form.get("reason", "").strip()}).reason

    def use_case(uow: UnitOfWork) -> tuple[int, badges.Badge]:
        version = badges.get_badge(uow, key).version
        return version, badges.update_badge(uow, page.admin_id, spec, reason)

    version, saved = run(use_case)
    done = "已保存" + (f"，规则版本 v{version} → v{saved.version}" if saved.version != version else "（规则未变）")
    if saved.enabled and saved.version != version:
        done += "；已按新规则排队回填"
    return web.partial(page, "partials/badge_editor.html", back=f"{web.BASE}/badges/{key}", kinds=KINDS,
                       done=done + "。", **_editor(saved))


def _set_enabled(page: web.Page, enabled: bool) -> web.Answer:
    key = page.params["badge_key"]
    body = web.validated(badge_schemas.BadgeReasonIn, {"reason": page.form.get("reason", "").strip()})

    def use_case(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        _, queued = badges.set_enabled(uow, page.admin_id, key, enabled, body.reason)
        return queued, _badge_row(uow, key)

    queued, row = run(use_case)
    done = (f"已启用，按历史事件回填（{queued} 条事件排队，回填不发通知）。" if enabled
            else "已停用：已授予的保留，不再授予新的。")
    return web.partial(page, "partials/badge_row.html", back=f"{web.BASE}/badges", row=row, kinds=KINDS, done=done)


@web.post("/badges/{badge_key:str}/enable")
def enable(page: web.Page) -> web.Answer:
    """启用徽章"""
    return _set_enabled(page, True)


@web.post("/badges/{badge_key:str}/disable")
def disable(page: web.Page) -> web.Answer:
    """停用徽章"""
    return _set_enabled(page, False)


@web.post("/badges/{badge_key:str}/revoke")
def revoke(page: web.Page) -> web.Answer:
    """收回用户的徽章"""
    key = page.params["badge_key"]
    user = page.form.get("user_id", "").strip().lstrip("#")
    body = web.validated(badge_schemas.BadgeRevokeIn, {"user_id": user, "reason": page.form.get("reason", "").strip()})

    def use_case(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        return badges.revoke(uow, page.admin_id, key, body.user_id, body.reason), _badge_row(uow, key)

    n, row = run(use_case)
    return web.partial(page, "partials/badge_row.html", back=f"{web.BASE}/badges", row=row, kinds=KINDS,
                       done=f"已收回用户 #{body.user_id} 的 {n} 枚徽章：{body.reason}")
