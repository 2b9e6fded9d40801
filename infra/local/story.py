"""The CodeLink story, played over HTTP as the mini-program would: `make demo` prints it, tests/e2e asserts it.

Every step checks the answer it expects and raises `CallFailed` otherwise.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from infra.local.client import Actor, CallFailed, LocalClient
from infra.local.story_console import play_console

Say = Callable[[str], None]


class Steps:
    """Numbers the story's steps as they are told, so a part can be added anywhere without renumbering the rest.
    Detail lines (indented) go through `say` unnumbered."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.count = 0

    def __call__(self, text: str) -> None:
        self.count += 1
        self.say(f"{self.count}. {text}")


def play(client: LocalClient, say: Say, *, admin_phone: str = "13800000000") -> dict[str, object]:
    run_id = f"{int(time.time() * 1000) % 10**8:08d}"
    phone = f"137{random.randint(0, 10**8 - 1):08d}"
    step = Steps(say)

    step("商家微信登录，完善商家资料")
    merchant = client.wx_login(f"demo-merchant-{run_id}")
    client.expect(200, "PUT", "/profiles/merchant", {"name": f"演示商家{run_id[-4:]}", "company": "演示科技"},
                  merchant.token)

    step("商家发布任务（首次发布进入人工审核，运营审核通过）")
    task = client.expect(201, "POST", "/tasks", {
        "title": f"微信小程序登录页开发 {run_id[-4:]}", "skill_tags": ["miniprogram", "taro"], "difficulty": 3,
        "description": "使用 Taro 实现微信一键登录与手机号绑定页面，附单元测试与说明文档。",
        "reward_fen": 250_000, "deadline": (datetime.now(timezone.utc) + timedelta(days=14)).isoformat(),
    }, merchant.token).body
    if task["status"] == "pending_review":
        admin = client.sms_login(admin_phone)
        task = client.expect(200, "POST", f"/admin/tasks/{task['id']}/approve", {"reason": "演示审核通过"},
                             admin.token).body
    say(f"   任务 #{task['id']}：{task['status_name']}")
    if task["status"] == "awaiting_funding":
        step("商家支付托管赏金（微信支付 JSAPI → 支付结果通知）")
        fund = client.expect(200, "POST", f"/payments/tasks/{task['id']}/fund", {}, merchant.token).body
        if not fund.get("payment_params", fund).get("paySign"):
            raise CallFailed(f"no wx.requestPayment params in {fund}")
        client.pay(fund["out_trade_no"])
        client.wait_for(lambda: client.call("GET", f"/tasks/{task['id']}", token=merchant.token).body["status"]
                        == "open", "the escrow payment to open the task")
        say(f"   已托管 {task['reward_fen'] / 100:.2f} 元，任务上架")

    step("开发者手机号 + 短信验证码登录（小程序同时绑定微信），填写简历卡片")
    dev = client.sms_login(phone)
    client.wx_bind(dev, f"demo-dev-{run_id}")
    client.expect(200, "PUT", "/profiles/developer", {
        "display_name": f"演示开发者{run_id[-4:]}", "headline": "小程序 / Taro 开发", "skills": ["miniprogram", "taro"],
        "bio": "三年小程序开发经验", "years_experience": 3,
        "real_name": "张三",  # a transfer of ¥2,000 or more carries the payee's real name
    }, dev.token)

    step("开发者在任务大厅按技能、难度、赏金筛选")
    hall = client.expect(200, "GET", "/tasks", query={"tags": "miniprogram,taro", "tag_mode": "all",
                                                     "difficulty_min": 2, "reward_min": 100_000, "sort": "newest"})
    if task["id"] not in [t["id"] for t in hall["items"]]:
        raise CallFailed(f"task {task['id']} not found in the filtered hall")
    say(f"   找到 {len(hall['items'])} 个匹配任务，包括 #{task['id']}")

    step("开发者一键投递")
    app = client.expect(201, "POST", "/applications", {"task_id": task["id"], "note": "做过三个类似项目"},
                        dev.token).body

    step("商家查看投递者，入围后录用")
    applicants = client.expect(200, "GET", "/applications", token=merchant.token, query={"task_id": task["id"]})
    if applicants["items"][0]["resume"] is None:
        raise CallFailed("the merchant should see the resume snapshot")
    client.expect(200, "POST", f"/applications/{app['id']}/shortlist", token=merchant.token)
    client.expect(200, "POST", f"/applications/{app['id']}/accept", token=merchant.token)

    step("开发者提交交付")
    delivery = {"content": "登录页已完成，含单元测试。", "links": [{"title": "代码仓库", "url": "https://git.example.com/demo"}]}
    client.expect(201, "POST", f"/work/{task['id']}/deliveries", delivery, dev.token)

    step("商家要求修改一次，开发者再次交付")
    client.expect(200, "POST", f"/work/{task['id']}/revision", {"note": "请补充错误提示文案"}, merchant.token)
    second = delivery | {"content": "已补充错误提示文案。"}
    client.expect(201, "POST", f"/work/{task['id']}/deliveries", second, dev.token)

    step("商家验收通过")
    client.expect(200, "POST", f"/work/{task['id']}/accept", {"note": "很满意"}, merchant.token)

    result: dict[str, object] = {"task_id": task["id"]}
    client.expect(200, "GET", "/payouts", token=dev.token)
    step("赏金释放：开发者在小程序确认收款（商家转账）")
    payout = client.wait_for(lambda: _waiting_payout(client, dev), "the payout to wait for confirmation")
    client.confirm_transfer(payout["out_bill_no"])
    client.wait_for(lambda: _payout_state(client, dev, payout["id"]) == "paid", "the transfer to settle")
    commission = task["reward_fen"] - payout["amount_fen"]
    say(f"   到账 {payout['amount_fen'] / 100:.2f} 元，平台佣金 {commission / 100:.2f} 元")
    result["payout_fen"] = payout["amount_fen"]

    step("双方互评")
    client.expect(201, "POST", f"/work/{task['id']}/ratings", {"stars": 5, "comment": "专业高效"}, merchant.token)
    client.expect(201, "POST", f"/work/{task['id']}/ratings", {"stars": 5, "comment": "需求清晰"}, dev.token)
    card = client.expect(200, "GET", f"/profiles/developers/{dev.user_id}").body
    say(f"   开发者评分 {card.get('rating_average')}，完成任务 {card.get('completed_tasks')} 个")

    step("开发者查看成长：技能图谱、经验值、等级与升级差距、积分；大厅按「匹配我」排序")
    growth = client.wait_for(lambda: _grown(client, dev), "the rating's skill points and XP (growth subscribers)")
    skills = "、".join(f"{s['name']} {s['points']} 分" for s in growth["skills"])
    level = growth["level"]
    say(f"   技能 {skills}；经验值 {growth['xp']}；等级 {level['level']}"
        + (f"（升 {level['next_level']} 级：{'；'.join(level['missing'])}）" if level["next_level"] else "")
        + f"；积分 {growth['points']['balance']}")
    matched = client.expect(200, "GET", "/tasks", token=dev.token, query={"sort": "match", "limit": 3}).body
    for t in matched["items"]:
        say(f"   #{t['id']} 匹配度 {t['match_score'] / 100:.0f}%：{' · '.join(t['match_reasons']) or '—'}")
    result["xp"] = growth["xp"]
    result |= play_console(client, step, say)
    result["steps"] = step.count
    return result


def _grown(client: LocalClient, dev: Actor) -> dict | None:
    me = client.expect(200, "GET", "/growth/me", token=dev.token).body
    return me if me["xp"] > 0 and me["skills"] else None


def _waiting_payout(client: LocalClient, dev: Actor) -> dict | None:
    items = client.call("GET", "/payouts", token=dev.token).body.get("items", [])
    return next((p for p in items if p.get("package_info")), None)


def _payout_state(client: LocalClient, dev: Actor, payout_id: int) -> str | None:
    items = client.call("GET", "/payouts", token=dev.token).body.get("items", [])
    return next((p["state"] for p in items if p["id"] == payout_id), None)
