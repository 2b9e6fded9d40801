"""The mini-program's report pages in a browser: the H5 build (`make miniprogram`) behind infra/local/h5.py, driven by
Playwright for Python in Debian's Chromium. Someone's public resume card (opened as the card's mini-program code
would, by scene, and by link), a card taken down, and 我的成长报告: issue this month's report, see its code, open the
PDF (the presigned link, checked against the stored hash). Screenshots land in build/miniprogram-e2e/."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from infra.local.h5 import H5_DIST, H5Server
from tests.e2e.test_console_reports import active_developer
from tests.e2e.test_miniprogram import SHOTS
from tests.support.api import call
from tests.support.console import work_off_jobs

pytestmark = pytest.mark.e2e


def test_the_public_card_and_my_reports_in_the_h5_build(browser, world, platform, db, clock):
    if not (H5_DIST / "index.html").is_file():
        pytest.fail("the H5 build is missing: run `make miniprogram` (make test does)")
    clock.set(datetime.now(timezone.utc))  # presigned links are checked against the wall clock
    dev = active_developer(world, "张堃喆")
    work_off_jobs()  # growth records the rated task
    call("PUT", "/profiles/developer", {"display_name": "张堃喆", "headline": "小程序开发", "bio": "不公开的简介",
                                        "skills": ["python"], "public_fields": ["display_name", "headline",
                                                                               "skills", "rating"]}, dev.token)
    assert call("PUT", "/reports/card", {"enabled": True, "sections": ["growth", "rated_work"]},
                dev.token).status == 200
    me = call("GET", "/auth/me", token=dev.token)
    assert me.status == 200, me.body
    SHOTS.mkdir(parents=True, exist_ok=True)
    fakes = platform.fakes
    with H5Server(H5_DIST, gateway=platform.gateway.base_url, wechat=fakes["wechat"].base_url,
                  wechatpay=fakes["wechatpay"].base_url) as h5:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # The card, as its mini-program code opens it (scene card=<id>, URL-encoded by WeChat): no sign-in.
        page.goto(f"{h5.base_url}/#/pages/card/index?scene=card%3D{dev.user_id}")
        page.wait_for_selector("#card-name")
        assert page.inner_text("#card-name") == "张堃喆" and page.inner_text("#card-headline") == "小程序开发"
        body = page.inner_text("#card-page")
        assert "交付很快" in body and "★★★★★" in body  # the rated work, chosen and public
        assert "不公开的简介" not in body  # bio is not a public field
        page.screenshot(path=str(SHOTS / "30-card.png"), full_page=True)
        # Taken down: the same link shows that it is gone.
        call("PUT", "/reports/card", {"enabled": False}, dev.token)
        page.goto(f"{h5.base_url}/#/pages/card/index?id={dev.user_id}")
        page.wait_for_selector("text=这张简历卡片未公开或已下线")

        # 我的成长报告, signed in as the developer (the session the login page would have stored).
        session = {"access_token": dev.token, "refresh_token": dev.refresh_token, "user": me.body}
        page.evaluate("s => localStorage.setItem('codelink.session', JSON.stringify({data: s}))", json.dumps(session))
        # A fresh start of the app first, so it reads the stored session; only then the page. (Going to the page
        # first raced: the still-running app, which had cached "no session", could send it to the login page
        # before the reload, and the reload then restarted on the login page.)
        page.reload()
        page.goto(f"{h5.base_url}/#/pages/reports/index")
        try:
            page.wait_for_selector("#reports-page >> text=还没有成长报告", timeout=15_000)
        finally:
            page.screenshot(path=str(SHOTS / "31-my-reports-empty.png"), full_page=True)
        page.click("#report-current")
        row = page.locator("#reports-page .report-row").first
        row.wait_for()
        with db.connect() as conn:
            stored = conn.execute(text("SELECT id, code, pdf_sha256 FROM growth_reports WHERE developer_id = :d"),
                                  {"d": dev.user_id}).one()
        shown = row.locator(".report-code").inner_text()
        assert shown.replace("-", "") == stored.code and "本月至今" in row.inner_text()
        page.screenshot(path=str(SHOTS / "31-my-reports.png"), full_page=True)
        # The PDF link is a download (Content-Disposition: attachment): note where the page sends the browser.
        page.evaluate("() => { window.open = (u) => { window.__opened = u; return null } }")
        page.click(f"#open-{stored.id}")
        page.wait_for_function("() => Boolean(window.__opened)")
        url = page.evaluate("() => window.__opened")
        with urllib.request.urlopen(url, timeout=10) as answer:  # the presigned link the page opened
            pdf = answer.read()
        assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == stored.pdf_sha256
        assert not errors, errors
        context.close()
