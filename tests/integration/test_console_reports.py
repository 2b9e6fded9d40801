"""The console's 成长报告 page in process (tests/support/console.py): the refusals before any run starts, the plain
(no JavaScript) form falling back to the run's own page, and a run that failed showing its error. The browser walk is
tests/e2e/test_console_reports.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import jobs
from shared.adapters.cos import cos
from shared.auth.service import make_admin
from shared.reports import service
from shared.reports.jobs import install
from shared.uow import run
from tests.integration.test_console import ADMIN_PHONE, one
from tests.integration.test_reports import MONTH, active_developer
from tests.support.console import BASE, Console


@pytest.fixture
def admin(world, platform):
    install()
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    console = Console()
    assert console.login(platform.fakes["sms"], ADMIN_PHONE).status == 303
    return console


def test_a_run_is_refused_before_it_starts_when_the_form_is_wrong(admin, world, db):
    dev = world.developer("开发者甲")
    refusals = [
        ({"scope": "one", "month": MONTH, "user_id": ""}, 422, "用户 ID"),
        ({"scope": "one", "month": MONTH, "user_id": "abc"}, 422, "user_id"),
        ({"scope": "one", "month": MONTH, "user_id": str(dev.user_id + 1000)}, 404, "不存在"),
        ({"scope": "one", "month": "2027-01", "user_id": str(dev.user_id)}, 422, "不能晚于本月"),
        ({"scope": "cohort", "month": "2026-13"}, 422, "month"),
        ({"scope": "cohort", "month": MONTH, "level": "X"}, 422, "level"),
    ]
    for form, status, text in refusals:
        answer = admin.post(f"{BASE}/reports/exports", form, htmx=True)
        assert answer.status == status and text in answer.text, (form, answer.status, answer.text[:500])
    assert one(db, "SELECT count(*) FROM report_exports") == 0
    assert admin.get(f"{BASE}/reports/exports/999").status == 404


def test_a_plain_form_goes_to_the_runs_page_and_a_failed_run_shows_its_error(admin, world, db, clock):
    _, dev, _ = active_developer(world, name="丢失的报告")
    cos().delete(service.generate(dev.user_id, MONTH).cos_key)  # the PDF is gone: the ZIP can never be built
    answer = admin.post(f"{BASE}/reports/exports", {"scope": "one", "month": MONTH, "user_id": str(dev.user_id)})
    export_id = one(db, "SELECT id FROM report_exports")
    assert answer.status == 303 and answer.location == f"{BASE}/reports/exports/{export_id}"
    for _ in range(7):  # every attempt of the export's job, past each backoff
        jobs.work()
        clock.advance(timedelta(minutes=9))
    page = admin.get(f"{BASE}/reports/exports/{export_id}")
    assert page.status == 200 and 'data-status="failed"' in page.text and "hx-trigger" not in page.text
    assert "导出失败" in page.text and "export-zip" not in page.text
    polled = admin.get(f"{BASE}/reports/exports/{export_id}/progress", htmx=True)
    assert polled.status == 200 and polled.text.lstrip().startswith("<section") and "失败" in polled.text
    listing = admin.get(f"{BASE}/reports")
    assert listing.status == 200 and f'data-export="{export_id}"' in listing.text and "失败" in listing.text
