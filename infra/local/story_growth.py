"""The story's growth part, right after the developer looks at their growth: badges, points and rank; the onboarding
challenges with their progress; a mentor challenge (the operator approves a mentor and publishes it, the developer buys
the growth pass through the fake WeChat Pay, enrols and submits, the mentor reviews with a recommendation letter); a
monthly lottery's draw and a three-day check-in streak on the platform's moved clock (`POST /_dev/clock`, local and
test only), the draw verified by `python -m shared.lottery verify` from its public record alone. The clock is moved
forward only and restored at the end of this part (also when a step fails), so the console step and `make dev` run
at the real time again.

Everything goes over HTTP as the mini-program, the operator's API client and a stranger would; the one in-process
call is the verifier, run as the command a stranger would run, in a fresh interpreter."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from infra.local.client import Actor, CallFailed, LocalClient, request

Say = Callable[[str], None]
DAY = 24 * 3600
ROOT = Path(__file__).resolve().parents[2]
MENTOR_BONUS_FEN = 20_000
BUDGET_TOPUP_FEN = 80_000  # the mentor's bonus, the 导师特训 challenge's ¥200 and the lottery's ¥100 cash prize


def play_growth(client: LocalClient, step: Say, say: Say, ctx: dict[str, Any]) -> dict[str, object]:
    dev: Actor = ctx["dev"]
    phone: str = ctx["phone"]
    result: dict[str, object] = {"growth_user_id": dev.user_id}

    step("成长：开发者的徽章、成长积分与周榜名次")
    me, board = client.wait_for(lambda: _with_badges(client, dev),
                                "the loop's badges and rank (after-commit subscribers)")
    badges = "、".join(b["name"] for b in me["badges"])
    mine = board["me"]
    say(f"   徽章 {len(me['badges'])} 枚：{badges}；成长积分 {me['points']['balance']}；"
        f"周榜（{board['period']}）第 {mine['rank']} 名，{mine['score']} 分")
    result |= {"badges": sorted(b["key"] for b in me["badges"]), "points": me["points"]["balance"],
               "weekly_rank": mine["rank"]}

    step("新手挑战：入驻见面礼、投递挑战、履历挑战、每周成长挑战、导师特训的进度")
    challenges = client.wait_for(lambda: _completed(client, dev, "welcome"), "入驻见面礼 to complete")
    _tell_challenges(say, challenges)
    result["challenges_completed"] = sorted(c["key"] for c in challenges if c["status"] == "completed")

    step("导师特训：运营认证导师并发布特训；开发者经微信支付购买成长通行证后报名、提交作品；导师点评并写推荐信")
    result |= _mentor_review(client, say, dev)
    challenges = client.wait_for(lambda: _completed(client, dev, "mentor"), "导师特训 to complete")
    done = [c for c in challenges if c["status"] == "completed"]
    say(f"   已完成的挑战：{'、'.join(c['name'] + '（' + c['summary'] + '）' for c in done)}")
    result["challenges_completed"] = sorted(c["key"] for c in done)

    moved = False
    try:
        # The draw first: this month's draw is the one the story's tickets are in (a check-in day moved into the next
        # month before it would leave them in a month the timer never announced).
        step("月度抽奖：公布承诺 → 截止并公布参与名单摘要 → 信标轮次到达后开奖并公开种子；用公开记录独立验证")
        moved = True
        record = _drive_lottery(client, say, dev.user_id)
        result |= _verify(say, record, dev.user_id)

        step("每日签到：连续三天（本地平台的开发时钟向前拨到第二天、第三天）")
        days = []
        for day in range(3):
            if day:
                say(f"   开发时钟拨到 {_beijing(_advance(client, DAY))}（北京时间）")
            dev = client.sms_login(phone)  # a new session each morning (the access token lasts 2 hours)
            got = client.expect(200, "POST", "/checkin", {}, dev.token).body
            days.append(got)
            say(f"   {got['today']} 签到：连续 {got['streak']} 天，累计 {got['total']} 天")
        if [d["streak"] for d in days] != [1, 2, 3]:
            raise CallFailed(f"a three-day streak expected, got {[d['streak'] for d in days]}")
        result |= {"streak": days[-1]["streak"], "checkin_days": [d["today"] for d in days]}
    finally:
        if moved:
            back = request("POST", client.gateway + "/_dev/clock", {"restore": True})
            if back.status != 200:
                raise CallFailed(f"restoring the dev clock → {back.status}: {back.body}")
            say(f"   开发时钟已复原：{_beijing(back.body['now'])}（北京时间）")
    return result


# ------------------------------------------------------------------------------------------------ badges, challenges


def _with_badges(client: LocalClient, dev: Actor) -> tuple[dict, dict] | None:
    me = client.expect(200, "GET", "/growth/me", token=dev.token).body
    board = client.expect(200, "GET", "/leaderboards/weekly", token=dev.token).body
    keys = {b["key"] for b in me["badges"]}
    welcome_points = any(p["ref"].startswith("challenge:welcome:") for p in me["points"]["history"])
    ready = {"welcome", "first_win"} <= keys and welcome_points and (board["me"] or {}).get("rank")
    return (me, board) if ready else None


def _completed(client: LocalClient, dev: Actor, key: str) -> list[dict] | None:
    items = client.expect(200, "GET", "/challenges/mine", token=dev.token).body["items"]
    return items if any(c["key"] == key and c["status"] == "completed" for c in items) else None


STATUS = {"running": "进行中", "completed": "已完成", "upcoming": "未开始", "expired": "已结束",
          "locked": "需成长通行证"}


def _tell_challenges(say: Say, items: list[dict]) -> None:
    for c in items:
        say(f"   {c['name']}（{c['window']}）：{STATUS.get(c['status'], c['status'])}，{c['summary']}")


# ------------------------------------------------------------------------------------------------ the mentor


def _mentor_review(client: LocalClient, say: Say, dev: Actor) -> dict[str, object]:
    mentor_phone = f"134{random.randint(0, 10**8 - 1):08d}"
    mentor = client.sms_login(mentor_phone)
    client.expect(200, "PUT", "/profiles/developer", {
        "display_name": f"王老师{mentor_phone[-4:]}", "headline": "资深小程序架构师", "skills": ["miniprogram", "taro"],
        "bio": "十年前端与小程序经验", "years_experience": 10}, mentor.token)
    client.expect(200, "POST", "/mentors/me/real-name", {"real_name": "王五", "title": "资深小程序架构师"},
                  mentor.token)
    from shared.auth.service import make_admin  # `make admin PHONE=…`: the operator's account, as story_console does
    from shared.uow import run

    operator_phone = f"133{random.randint(0, 10**8 - 1):08d}"
    run(lambda uow: make_admin(uow, "+86" + operator_phone))
    admin = client.sms_login(operator_phone)
    client.expect(200, "PUT", f"/admin/mentors/{mentor.user_id}/flag",
                  {"mentor": True, "reason": "社区推荐的资深开发者"}, admin.token)
    client.expect(200, "POST", f"/admin/mentors/{mentor.user_id}/real-name", {"approve": True}, admin.token)
    client.expect(200, "POST", "/payments/admin/budget/topup",
                  {"amount_fen": BUDGET_TOPUP_FEN, "reference": f"DEMO-{mentor_phone[-6:]}"}, admin.token)
    challenge = client.expect(201, "POST", "/admin/mentors/challenges", {
        "mentor_id": mentor.user_id, "title": "小程序性能优化特训",
        "brief": "把一个列表页的首屏时间优化到 1 秒以内，提交代码仓库与前后对比报告。",
        "bonus_fen": MENTOR_BONUS_FEN, "pass_score": 60}, admin.token).body
    say(f"   运营认证导师 #{mentor.user_id}（实名已审核），发布特训 #{challenge['id']}「{challenge['title']}」，"
        f"奖金 {MENTOR_BONUS_FEN / 100:.2f} 元（平台预算）")

    order = client.expect(201, "POST", "/billing/subscriptions", {"plan": "growth", "months": 1}, dev.token).body
    client.pay(order["out_trade_no"])
    client.wait_for(lambda: client.expect(200, "GET", "/billing/subscriptions", token=dev.token).body["perks"]
                    ["growth_pass"] or None, "the growth pass to be granted (payment notification)")
    say(f"   开发者微信支付 {order['amount_fen'] / 100:.2f} 元购买成长通行证")
    enrolment = client.expect(201, "POST", f"/mentors/challenges/{challenge['id']}/enrol", None, dev.token).body
    client.expect(200, "POST", f"/mentors/enrolments/{enrolment['id']}/deliverable",
                  {"url": "https://git.example.com/demo/list-perf", "note": "首屏 0.8 秒，附对比报告"}, dev.token)
    letter = "该开发者在性能优化特训中定位准确、方案扎实，推荐承担小程序性能相关的开发任务。"
    review = client.expect(200, "POST", f"/mentors/enrolments/{enrolment['id']}/review",
                           {"score": 88, "comment": "优化思路清晰，报告完整。", "letter": letter}, mentor.token).body
    if not (review["status"] == "reviewed" and review["accepted"] and review["letter"]):
        raise CallFailed(f"an accepted review with a letter expected: {review}")
    letters = client.expect(200, "GET", f"/mentors/letters/{dev.user_id}", token=dev.token).body["items"]
    say(f"   导师点评 {review['score']} 分（通过），奖金 {review['bonus_fen'] / 100:.2f} 元入账；"
        f"推荐信 {len(letters)} 封：「{letters[0]['body'] if letters else '—'}」")
    return {"mentor_id": mentor.user_id, "enrolment_id": enrolment["id"], "mentor_score": review["score"]}


# ------------------------------------------------------------------------------------------------ clock and lottery


def _advance(client: LocalClient, seconds: int) -> str:
    r = request("POST", client.gateway + "/_dev/clock", {"advance_seconds": int(seconds)})
    if r.status != 200:
        raise CallFailed(f"moving the dev clock → {r.status}: {r.body}")
    return str(r.body["now"])


def _now(client: LocalClient) -> datetime:
    r = request("GET", client.gateway + "/_dev/clock")
    if r.status != 200:
        raise CallFailed(f"the dev clock → {r.status}: {r.body}")
    return _parse(r.body["now"])


def _beijing(value: str) -> str:
    from shared.clock import SHANGHAI

    return _parse(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))  # Python 3.10 reads no "Z"


def _fire_lottery_timer(client: LocalClient) -> dict:
    r = request("POST", client.gateway + "/_dev/timers/timers/lottery", {})
    if r.status != 200:
        raise CallFailed(f"the lottery timer → {r.status}: {r.body}")
    return r.body


def _drive_lottery(client: LocalClient, say: Say, user_id: int) -> dict:
    """Run the `lottery` timer, moving the clock forward to each stage, until the draw holding the user's tickets
    is drawn (on a fresh database: this month's; on `make dev`'s, perhaps a later month's when an earlier run
    already drew this one). Returns that draw's public record as published."""
    # Draws already drawn before this run (earlier demos on `make dev`'s database) are history: one line, not one each.
    history = [d for d in client.expect(200, "GET", "/lottery/draws").body["items"] if d["state"] == "drawn"]
    if history:
        say(f"   往期已开奖 {len(history)} 期（之前的演示，不再逐期列出）")
    past = {d["id"] for d in history}  # closed before this run's user had tickets: not theirs
    told: set[tuple[int, str]] = set()
    for _ in range(8):
        _fire_lottery_timer(client)
        draws = sorted((d for d in client.expect(200, "GET", "/lottery/draws").body["items"] if d["id"] not in past),
                       key=lambda d: d["close_time"])
        for d in draws:
            record = client.expect(200, "GET", f"/lottery/draws/{d['id']}").body
            if (d["id"], d["state"]) not in told:
                told.add((d["id"], d["state"]))
                _tell_stage(say, d, record)
            if d["state"] == "drawn" and any(int(uid) == user_id for uid, _ in record.get("entries", [])):
                return record
        pending = next((d for d in draws if d["state"] != "drawn"), None)
        now = _now(client)
        if pending is not None:  # past its close and its beacon round (≥ 10 min after the close)
            target = _parse(pending["close_time"]) + timedelta(minutes=11)
        else:  # the month the tickets went to has no draw yet: into that month, where the timer announces it
            target = _next_month(now) + timedelta(minutes=1)
        if target > now:
            moved_to = _advance(client, int((target - now).total_seconds()) + 1)
            say(f"   开发时钟拨到 {_beijing(moved_to)}（北京时间）")
    raise CallFailed(f"no drawn lottery holds user {user_id}'s tickets after driving the timer")


def _next_month(at: datetime) -> datetime:
    from shared.clock import SHANGHAI

    local = at.astimezone(SHANGHAI)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def _tell_stage(say: Say, draw: dict, record: dict) -> None:
    if draw["state"] == "announced":
        say(f"   {record['lottery']} 期公布：种子承诺 {record['commitment'][:16]}…，截止 {record['close_time'][:16]}，"
            f"信标 {record['beacon']['source'][:14]}… 第 {record['beacon']['round']} 轮")
    elif draw["state"] == "closed":
        say(f"   {record['lottery']} 期截止：{record.get('entry_count')} 人 {record.get('ticket_total')} 张券，"
            f"名单摘要 {str(record.get('entry_digest'))[:16]}…")
    elif draw["state"] == "drawn":
        say(f"   {record['lottery']} 期截止：{record.get('entry_count')} 人 {record.get('ticket_total')} 张券，"
            f"名单摘要 {str(record.get('entry_digest'))[:16]}…；开奖：第 {record['beacon']['round']} 轮信标值 "
            f"{str(record['beacon'].get('value'))[:16]}…，中奖用户 {record.get('winners')}，种子已公开")


def _verify(say: Say, record: dict, user_id: int) -> dict[str, object]:
    """`python -m shared.lottery verify draw.json` on the record exactly as GET /lottery/draws/{id} published it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "draw.json"
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "shared.lottery", "verify", str(path)], cwd=ROOT,  # noqa: S603
                              capture_output=True, text=True, timeout=120, check=False)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or last != "VERIFIED":
        raise CallFailed(f"the lottery verification failed ({done.returncode}): {done.stdout}{done.stderr}")
    winners = [int(w) for w in record.get("winners", [])]
    say(f"   python -m shared.lottery verify draw.json → {last}（{len(winners)} 位中奖者"
        + (f"，演示开发者第 {winners.index(user_id) + 1} 名" if user_id in winners else "") + "）")
    return {"lottery": record["lottery"], "lottery_winners": winners, "lottery_verified": True}
