"""The mini-program in a browser: the H5 build of miniprogram/ played by Playwright (Node) in Debian's Chromium as a
merchant and a developer (two browser contexts), against the platform this test session started on ephemeral
ports. The H5 server (infra/local/h5.py) puts the build, the API and the fakes' dev controls on one origin.

`make test` installs the client (npm ci), builds it and Chromium before pytest runs; run alone, this test needs
`make miniprogram` first. Screenshots of every step land in build/miniprogram-e2e/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from infra.local.h5 import H5_DIST, H5Server
from shared.auth.service import make_admin
from shared.ledger.check import check_ledger
from shared.lottery.service import announce_due
from shared.uow import run
from tests.support.challenges import seed_challenges

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"
SHOTS = ROOT / "build" / "miniprogram-e2e"
CHROMIUM = Path("/usr/bin/chromium")
NODE = shutil.which("node")


def _missing() -> str | None:
    if not (H5_DIST / "index.html").is_file():
        return "the H5 build is missing: run `make miniprogram` (make test does)"
    if not (MINIPROGRAM / "node_modules" / "playwright-core").is_dir():
        return "miniprogram/node_modules is missing: run `make miniprogram` (npm ci)"
    if NODE is None:
        return "node is not installed"
    if not CHROMIUM.exists():
        return "Chromium is missing: bash infra/setup/ensure-apt.sh chromium fonts-noto-cjk (make test does)"
    return None


def test_the_whole_story_in_the_browser(client, platform, db, clock):
    problem = _missing()
    if problem:
        pytest.fail(problem)
    clock.set(datetime.now(timezone.utc))  # the fakes sign with the wall clock, as WeChat does
    run(lambda uow: make_admin(uow, "+8613600000002"))
    seed_challenges()  # the migration's onboarding challenges (every test empties the tables) …
    with db.begin() as conn:  # … and its badges
        conn.exec_driver_sql((ROOT / "infra" / "migrations" / "0026_badges_seed.sql").read_text(encoding="utf-8"))
    run(announce_due)  # the lottery timer's first stage: this month's draw with its published commitment
    fakes = platform.fakes
    with H5Server(H5_DIST, gateway=platform.gateway.base_url, wechat=fakes["wechat"].base_url,
                  wechatpay=fakes["wechatpay"].base_url) as h5:
        proc = subprocess.run(  # noqa: S603 - our own script, arguments we build
            [str(NODE), "e2e/story.mjs", "--base", h5.base_url, "--gateway", platform.gateway.base_url,
             "--sms", fakes["sms"].base_url, "--admin-phone", "13600000002", "--out", str(SHOTS),
             "--chromium", str(CHROMIUM)],
            cwd=MINIPROGRAM, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"browser story failed:\n{proc.stderr[-6000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["steps"][-1].startswith("22.")
    assert "剩 47 小时" in result["countdown"]  # the 48-hour guarantee, counted down in the browser
    assert re.search(r"[\u4e00-\u9fff]", result["error_shown"]), result["error_shown"]  # the API's Chinese message
    # The task chat: the sender warned, the receiver shown the masked text, the answer read (receipts in the browser).
    assert "微信" in result["chat_warning"] and "平台内" in result["chat_warning"], result["chat_warning"]
    assert result["chat_masked"] == "加我微信 ***********", result["chat_masked"]
    assert "3 条未读" in result["chat_unread_button"], result["chat_unread_button"]
    assert result["chat_receipts"] == ["已读", "已读", "已读"], result["chat_receipts"]
    # The file went to COS through the upload policy and the merchant opened it from its link.
    assert result["chat_file_opened"] == "登录页需求：微信一键登录、手机号绑定。"
    assert result["hall_scrolled"] == 25  # 20 on the first page, the other 5 by scrolling (the keyset cursor)
    # Growth in the browser: the finished task's skill points and level, a check-in, the onboarding challenge done,
    # first on the weekly board.
    assert re.search(r"\d+$", result["growth_category"]), result["growth_category"]
    assert result["growth_level"] in {"C", "B", "A", "S"} and result["growth_xp"] > 0
    assert result["checkin_streak"] == 1
    assert result["challenge_summary"] == "3/3 已完成", result["challenge_summary"]
    assert result["my_rank"] == "第 1 名"
    assert result["worn_title"] == "佩戴中：挑战者"
    assert re.fullmatch(r"[0-9a-f]{64}", result["draw_commitment"]), result["draw_commitment"]
    # 社区: the content-security refusal in the API's words, then the post, liked and commented on by the merchant.
    assert "安全检测" in result["post_refused"], result["post_refused"]
    assert result["like_count_seen"] == 1
    # The merchant's applicants ranked by fit: the developer with the finished, 5-star task first, with reasons.
    assert re.fullmatch(r"匹配度 \d+%", result["fit_first"]), result["fit_first"]
    assert 1 <= len(result["fit_reasons"]) <= 2 and any("评分" in r or "技能" in r for r in result["fit_reasons"]), \
        result["fit_reasons"]
    assert len(result["fit_order"]) == 2
    # 邀请 and 导师特训: the growth pass asked for in the API's words, then the mentor's letter on the developer's page.
    assert "成长通行证" in result["growth_pass_error"], result["growth_pass_error"]
    assert "推荐" in result["mentor_letter"], result["mentor_letter"]

    task_id, app_id, payout_id = result["task_id"], result["application_id"], result["payout_id"]
    with db.connect() as conn:
        def one(sql: str, **params: object) -> object:
            return conn.execute(text(sql), params).scalar_one()

        assert one("SELECT status FROM tasks WHERE id = :t", t=task_id) == "completed"
        developer = one("SELECT developer_id FROM applications WHERE id = :a AND task_id = :t", a=app_id, t=task_id)
        assert one("SELECT status FROM applications WHERE id = :a", a=app_id) == "accepted"
        rejected = conn.execute(text("SELECT status, reject_reason FROM applications WHERE id = :a"),
                                {"a": result["rejected_application_id"]}).one()
        assert tuple(rejected) == ("rejected", "技能方向不太匹配，感谢投递")
        conversation = conn.execute(text(
            "SELECT id, merchant_read_id, developer_read_id, merchant_unread, developer_unread, message_count,"
            " flagged_count FROM conversations WHERE task_id = :t AND developer_id = :u"),
            {"t": task_id, "u": developer}).one()
        chat = conn.execute(text("SELECT id, sender_id, kind, body, masked_body, flag_kinds, file_key"
                                 " FROM chat_messages WHERE conversation_id = :c ORDER BY id"),
                            {"c": conversation.id}).all()
        merchant_id = one("SELECT merchant_id FROM tasks WHERE id = :t", t=task_id)
        answer = "你好，我们在平台里沟通就好，需求细节见任务说明。"
        assert [(c.sender_id, c.kind, c.body, c.masked_body) for c in chat] == [
            (developer, "text", "你好", "你好"),
            (developer, "text", "加我微信 wx_12345678", "加我微信 ***********"),  # the receiver never got the WeChat id
            (developer, "file", "需求说明.txt", "需求说明.txt"),
            (merchant_id, "text", answer, answer)]
        assert [sorted(c.flag_kinds) for c in chat] == [[], ["intent", "wechat"], [], []]
        assert chat[2].file_key.startswith(f"chat/{conversation.id}/{developer}/")  # under the sender's own prefix
        # Read receipts: each side has read up to the answer, nothing unread, one flagged message.
        assert tuple(conversation[1:]) == (chat[3].id, chat[3].id, 0, 0, 4, 1)
        assert one("SELECT count(*) FROM deliveries WHERE task_id = :t", t=task_id) == 2  # a revision, then accepted
        assert one("SELECT count(*) FROM ratings WHERE task_id = :t AND stars = 5", t=task_id) == 2
        assert one("SELECT count(*) FROM promotions WHERE task_id = :t AND days = 1", t=task_id) == 1
        reward, merchant = conn.execute(text("SELECT reward_fen, merchant_id FROM tasks WHERE id = :t"),
                                        {"t": task_id}).one()
        assert reward == 250_000
        assert one("SELECT count(*) FROM payment_orders WHERE task_id = :t AND state = 'paid'"
                   " AND amount_fen = :a", t=task_id, a=reward + 3_000) == 1  # escrow + one day of promotion
        state, amount, payee = conn.execute(text("SELECT state, amount_fen, developer_id FROM payouts WHERE id = :p"),
                                            {"p": payout_id}).one()
        assert (state, payee) == ("paid", developer)
        assert amount == 212_500  # ¥2,500 less the standard 15 % commission
        # The consent given in the browser was recorded for every template, and WeChat (the fake) got pushes.
        assert one("SELECT count(*) FROM subscribe_consents WHERE user_id = :u", u=developer) == 3
        openid = one("SELECT openid FROM users WHERE id = :u", u=developer)
        assert one("SELECT count(*) FROM merchant_profiles WHERE user_id = :u", u=merchant) == 1
        assert one("SELECT count(*) FROM memberships WHERE user_id = :u AND plan = 'enterprise'", u=merchant) == 1
        # The second task went to a dispute, opened and argued in the browser, ruled half and half.
        disputed = result["disputed_task_id"]
        assert conn.execute(text("SELECT status, outcome FROM disputes WHERE id = :d AND task_id = :t"),
                            {"d": result["dispute_id"], "t": disputed}).one() == ("ruled", "split")
        assert one("SELECT count(*) FROM dispute_entries WHERE dispute_id = :d AND links::text LIKE '%example.com%'",
                   d=result["dispute_id"]) == 2  # the merchant's and the developer's evidence, with their links
        assert one("SELECT coalesce(sum(amount_fen), 0) FROM refunds WHERE task_id = :t", t=disputed) == 40_000
        # What the growth pages showed is what the database holds.
        assert one("SELECT sum(points) FROM user_skills WHERE user_id = :u", u=developer) > 0
        assert one("SELECT xp FROM growth_profiles WHERE user_id = :u", u=developer) >= result["growth_xp"]
        assert tuple(conn.execute(text("SELECT total, streak, remind FROM checkin_stats WHERE user_id = :u"),
                                  {"u": developer}).one()) == (1, 1, True)
        assert one("SELECT count(*) FROM challenge_windows WHERE user_id = :u AND challenge_key = 'welcome'"
                   " AND completed_at IS NOT NULL", u=developer) == 1
        assert one("SELECT badge_key FROM badge_titles WHERE user_id = :u", u=developer) == "challenger"
        post = conn.execute(text("SELECT author_id, tags, like_count, comment_count FROM posts WHERE id = :p"),
                            {"p": result["post_id"]}).one()
        assert tuple(post) == (developer, ["小程序", "经验"], 1, 1)
        assert one("SELECT user_id FROM post_likes WHERE post_id = :p", p=result["post_id"]) == merchant
        assert one("SELECT count(*) FROM posts WHERE author_id = :u", u=developer) == 1  # the refused one never saved
        invitation = conn.execute(text("SELECT inviter_id, code, status FROM invitations WHERE invitee_id = :u"),
                                  {"u": developer}).one()
        assert tuple(invitation[:2]) == (merchant, result["invite_code"])
        assert ("已计入" in result["invitee_status"]) == (invitation.status == "credited"), result["invitee_status"]
        enrolment = conn.execute(text("SELECT developer_id, challenge_id, status, score, accepted"
                                      " FROM mentor_enrolments WHERE id = :e"), {"e": result["enrolment_id"]}).one()
        assert tuple(enrolment) == (developer, result["mentor_challenge_id"], "reviewed", 92, True)
        assert one("SELECT count(*) FROM mentor_letters WHERE enrolment_id = :e", e=result["enrolment_id"]) == 1
        assert one("SELECT count(*) FROM memberships WHERE user_id = :u AND plan = 'growth'", u=developer) == 1
        # The second task went to the applicant ranked first by fit: the developer who did the first one.
        assert one("SELECT developer_id FROM applications WHERE id = :a", a=result["fit_order"][0]) == developer
        assert one("SELECT status FROM applications WHERE id = :a", a=result["fit_order"][0]) == "accepted"
        check = check_ledger(conn)
        assert check.ok, check.problems
    assert fakes["wechat"].messages(openid), "no subscribe message reached the developer"
    shots = sorted(p.name for p in SHOTS.glob("*.png"))
    assert len(shots) >= 20 and not any(name.startswith("failed") for name in shots), shots
