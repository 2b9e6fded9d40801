"""The console's 成长报告 page in a real browser (Chromium under Playwright, fixtures and helpers of
tests/e2e/test_console.py): the operator issues one developer's report and exports a cohort; the progress panel polls
(htmx, every 2 s) until the jobs worker has finished, then shows the ZIP link and each report's code and PDF link —
downloaded from moto's S3 and checked against the database — and every run is in the audit trail."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import urllib.request
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from shared.auth.service import make_admin
from shared.reports.jobs import install
from shared.uow import run
from tests.e2e.test_console_growth import audited, open_console
from tests.support.api import call
from tests.support.console import ADMIN_PHONE, one, shot, work_off_jobs
from tests.support.payouts import accept, delivered_task

pytestmark = pytest.mark.e2e

MONTH = "2026-11"  # the test clock's month (Beijing)


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def active_developer(world, name: str):
    merchant, dev = world.merchant(f"{name}的客户"), world.developer(name, skills=["python"])
    task = delivered_task(world, merchant, dev, title="小程序登录页开发", skill_tags=["python"])
    accept(merchant, task["id"])
    rated = call("POST", f"/work/{task['id']}/ratings", {"stars": 5, "comment": "交付很快"}, merchant.token)
    assert rated.status in (200, 201), rated.body
    return dev


def test_issue_one_report_and_export_a_cohort_in_the_browser(browser, world, platform, db, site):
    install()
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    first, second = active_developer(world, "张堃喆"), active_developer(world, "李四")
    work_off_jobs()
    context, page, errors = open_console(browser, site, platform.fakes["sms"])

    page.click("nav.side a[data-nav='reports']")
    page.wait_for_url(re.compile(r"/admin/console/reports$"))
    assert page.input_value("#report-one-month") == "2026-10"  # last month by default: its final report

    # One developer: an unknown id is refused in the form's own box; then the report of this month so far.
    page.fill("#report-user", "999999")
    page.fill("#report-one-month", MONTH)
    page.click("#report-one button[type=submit]")
    page.wait_for_selector("#report-one-errors .alert.error")
    assert "不存在" in page.inner_text("#report-one-errors")
    assert one(db, "SELECT count(*) FROM report_exports") == 0
    page.fill("#report-user", str(first.user_id))
    page.click("#report-one button[type=submit]")
    page.wait_for_selector("#export-panel[data-status='running']")
    assert page.get_attribute("#export-panel", "hx-trigger") == "every 2s"  # polls while it runs
    shot(page, "40-report-running")
    work_off_jobs()  # the jobs worker renders; the panel notices on its next poll
    expect(page.locator("#export-status")).to_have_text("已完成", timeout=10_000)
    assert page.get_attribute("#export-panel", "hx-get") is None  # and stops polling
    row = page.locator(f"#export-reports tr[data-developer='{first.user_id}']")
    code = row.locator(".report-code").inner_text()
    with db.connect() as conn:
        stored = conn.execute(text("SELECT code, pdf_sha256 FROM growth_reports WHERE developer_id = :d"),
                              {"d": first.user_id}).one()
    assert code.replace("-", "") == stored.code
    pdf = download(row.locator("a.report-pdf").get_attribute("href") or "")
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == stored.pdf_sha256
    archive = zipfile.ZipFile(io.BytesIO(download(page.get_attribute("#export-zip", "href") or "")))
    assert sorted(archive.namelist()) == sorted(["summary.csv", f"{first.user_id}-{MONTH}-{stored.code}.pdf"])
    shot(page, "41-report-one-done")
    assert audited(db, "report.export", month=MONTH, user_id=first.user_id, total=1) == 1

    # A cohort: developers with python points, active this month; both of them, in a ZIP with summary.csv.
    page.click("nav.side a[data-nav='reports']")
    page.fill("#report-cohort-month", MONTH)
    page.fill("#report-skill", "python")
    page.click("#report-cohort button[type=submit]")
    page.wait_for_selector("#export-panel[data-status='running']")
    assert "技能 python" in page.inner_text("#export-panel") and "仅当月活跃" in page.inner_text("#export-panel")
    work_off_jobs()
    expect(page.locator("#export-status")).to_have_text("已完成", timeout=10_000)
    assert page.locator("#export-reports tr").count() == 1 + 2  # header + both developers
    archive = zipfile.ZipFile(io.BytesIO(download(page.get_attribute("#export-zip", "href") or "")))
    summary = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode("utf-8-sig"))))
    assert {s["name"] for s in summary} == {"张堃喆", "李四"}
    assert sum(n.endswith(".pdf") for n in archive.namelist()) == 2
    assert audited(db, "report.export", month=MONTH, skill="python", active_only=True, total=2) == 1
    shot(page, "42-report-cohort-done")

    # The runs are listed, newest first, with their progress; a run's own page shows the same panel.
    page.click("nav.side a[data-nav='reports']")
    runs = page.locator("#report-runs tbody tr")
    expect(runs).to_have_count(2)
    assert "技能 python" in runs.nth(0).inner_text() and f"开发者 #{first.user_id}" in runs.nth(1).inner_text()
    runs.nth(1).locator("a").click()
    page.wait_for_selector("#export-panel[data-status='done']")
    assert second.user_id != first.user_id
    assert not errors, errors
    context.close()
