"""The registry of notification kinds (shared/notifications/kinds.py): every kind the code sends is registered, every
registered kind is sent somewhere, every area's inbox templates render, and which kinds are pushed with which
subscribe-message template."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from shared.config import get_settings
from shared.notifications.kinds import KINDS, Bucket, Notice, UnknownNotificationKind, kind, template_for

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "shared").rglob("*.py"), *(ROOT / "functions").rglob("*.py")])
TEXTS = sorted(p for p in (ROOT / "shared").glob("*/texts.py"))


def kinds_in_code() -> dict[str, list[str]]:
    """kind -> where it is written: the kind argument of every `….notify(user, kind, …)` call, and the first
    argument of every `Notice(kind, …)`. A kind that is not a string literal (an f-string, a variable) is reported
    as `<dynamic>` — the scan could not vouch for it."""
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "notify" and len(node.args) >= 2:
                arg = node.args[1]
                if isinstance(arg, ast.Starred):  # uow.notify(user, *texts.NOTICE.render(...)): a Notice's kind
                    continue
            elif isinstance(func, ast.Name) and func.id == "Notice" and node.args:
                arg = node.args[0]
            else:
                continue
            name = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "<dynamic>"
            found.setdefault(name, []).append(f"{where}:{node.lineno}")
    return found


def test_the_scan_sees_both_ways_of_naming_a_kind():
    found = kinds_in_code()
    assert any(w.startswith("shared/applications/texts.py") for w in found["application_received"])
    assert any(w.startswith("shared/payouts/") for w in found["payout_confirm"]), "literal notify() kinds"


def test_every_kind_in_the_code_is_registered():
    found = kinds_in_code()
    unregistered = {k: w for k, w in found.items() if k not in KINDS}
    assert unregistered == {}, "register these in shared/notifications/kinds.py (kinds must be string literals)"


def test_every_registered_kind_is_sent_somewhere():
    assert sorted(set(KINDS) - set(kinds_in_code())) == []


def test_registry_entries_are_named_by_their_key():
    assert all(k == v.name for k, v in KINDS.items())


def test_an_unregistered_kind_is_refused():
    with pytest.raises(UnknownNotificationKind, match="not registered"):
        kind("task_aproved")
    with pytest.raises(UnknownNotificationKind):
        Notice("task_aproved", "标题", "正文")


def area_notices() -> list[tuple[str, str, Notice]]:
    out = []
    for path in TEXTS:
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, value in vars(module).items():
            values = value.values() if isinstance(value, dict) else [value]
            out += [(path.parent.name, name, v) for v in values if isinstance(v, Notice)]
    return out


def test_every_area_notice_renders_with_its_fields():
    notices = area_notices()
    assert {area for area, _, _ in notices} >= {"applications", "tasks", "work", "disputes", "billing", "payments"}
    for area, name, notice in notices:
        values = {f.split(":")[0]: 1.5 for f in notice.fields()}
        got_kind, title, body = notice.render(**values)
        assert got_kind == notice.kind and title and body, (area, name)
        assert "{" not in title + body, (area, name)
        if notice.fields():
            with pytest.raises(KeyError):
                notice.render()


def test_rendering_keeps_user_text_literal():
    from shared.tasks import texts

    _, _, body = texts.REJECTED.render(title="登录页 {x}", reason="缺少 {reason} 说明")
    assert body == "「登录页 {x}」未通过审核：缺少 {reason} 说明"


def test_money_that_waits_for_the_user_is_pushed():
    s = get_settings()
    for name in ("payout_confirm", "payout_failed", "payout_paid", "dispute_opened", "dispute_ruled"):
        assert template_for(name) == s.wechat_template_money, name
    assert template_for("application_received") == s.wechat_template_application
    assert template_for("work_delivered") == s.wechat_template_task
    assert template_for("feedback_reminder") == s.wechat_template_task


def test_refunds_memberships_and_promotions_stay_in_the_inbox():
    for name in ("membership_expiring", "promotion_started", "escrow_refund_started", "refund_succeeded",
                 "payment_refunded", "escrow_funded"):
        assert KINDS[name].bucket is None
        assert template_for(name) == "", name
    assert template_for("retired_kind") == "", "rows of a retired kind are not pushed"


def test_each_bucket_is_a_configured_template():
    s = get_settings()
    ids = {b: b.template_id() for b in Bucket}
    assert ids[Bucket.TASK] == s.wechat_template_task and len(set(ids.values())) == len(Bucket)
