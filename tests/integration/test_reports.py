"""Growth reports end to end on the real database and the moto COS: a developer's month (a completed, rated task)
issued as a PDF whose text comes out intact (pdftotext), stored in COS and downloadable through a presigned link;
the verify page (genuine / tampered / unknown / malformed, by code and by upload); idempotence; the monthly fan-out in
batches; the public resume card (only public fields, opt-out takes it down); the operators' cohort export (a ZIP with
a CSV summary)."""

from __future__ import annotations

import base64
import csv
import io
import urllib.request
import zipfile
from datetime import timedelta

import pytest

from shared import jobs
from shared.reports import schedule, service
from shared.reports.jobs import install
from shared.uow import run
from tests.support.api import call, function_url_event
from tests.support.db import rows, scalar
from tests.support.payouts import accept, delivered_task
from tests.support.pdf import pdftotext

MONTH = "2026-11"  # the test clock: 2026-11-25 10:00 Beijing


@pytest.fixture(autouse=True)
def report_jobs():
    install()


def page(method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None,
         query: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """An HTML page of the verify or reports function: (status, text, headers)."""
    import importlib

    function = path.strip("/").split("/")[0]
    event = function_url_event(method, path, None, None, query, headers)
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    elif body is not None:
        event["body"] = body
    answer = importlib.import_module(f"functions.{function}.index").main_handler(event, None)
    raw = answer["body"]
    text = base64.b64decode(raw).decode() if answer.get("isBase64Encoded") else raw
    return answer["statusCode"], text, answer["headers"]


def active_developer(world, name="张堃喆"):
    merchant, dev = world.merchant("码联商家"), world.developer(name, skills=["python", "vue"])
    task = delivered_task(world, merchant, dev, title="微信小程序登录页开发", skill_tags=["python", "vue"])
    accept(merchant, task["id"])
    r = call("POST", f"/work/{task['id']}/ratings", {"stars": 5, "comment": "交付很快，代码清晰"}, merchant.token)
    assert r.status in (200, 201), r.body
    jobs.work()
    return merchant, dev, task


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def test_the_month_so_far_is_issued_stored_and_reads_intact(world):
    _, dev, _ = active_developer(world)
    r = call("POST", "/reports/me/current", None, dev.token)
    assert r.status == 200, r.body
    assert r["month"] == MONTH and r["version"] == 1 and r["created"] and not r["final"]
    pdf = download(r["download_url"])
    assert pdf.startswith(b"%PDF-") and len(pdf) < 100_000
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == r["pdf_sha256"]
    text = pdftotext(pdf)
    assert "张堃喆" in text and "微信小程序登录页开发" in text and r["code"] in text
    [row] = rows("SELECT developer_id, month, code, final, superseded_at FROM growth_reports")
    assert row.developer_id == dev.user_id and row.superseded_at is None
    assert r["verify_url"].endswith(f"/verify/{row.code}")
    # The same data again: the same report (no new version, no new object).
    again = call("POST", "/reports/me/current", None, dev.token)
    assert again["code"] == r["code"] and again["version"] == 1 and again["created"] is False
    assert scalar("SELECT count(*) FROM growth_reports") == 1
    listed = call("GET", "/reports/me", token=dev.token)
    assert [i["code"] for i in listed["items"]] == [r["code"]]
    assert call("GET", f"/reports/me/{r['id']}", token=dev.token)["pdf_sha256"] == r["pdf_sha256"]
    other = world.developer()
    assert call("GET", f"/reports/me/{r['id']}", token=other.token).status == 404


def test_new_data_is_a_new_version_and_the_old_code_verifies_as_superseded(world, clock):
    merchant, dev, _ = active_developer(world)
    first = call("POST", "/reports/me/current", None, dev.token)
    clock.advance(timedelta(days=1))
    world.renew(merchant, dev)
    second_task = delivered_task(world, merchant, dev, title="后台接口开发")
    accept(merchant, second_task["id"])
    jobs.work()
    second = call("POST", "/reports/me/current", None, dev.token)
    assert second["version"] == 2 and second["code"] != first["code"]
    assert scalar("SELECT count(*) FROM growth_reports WHERE superseded_at IS NULL") == 1
    status, html, _ = page("GET", f"/verify/{first['code']}")
    assert status == 200 and 'data-verdict="genuine"' in html and "更新的版本" in html


def test_verify_genuine_tampered_unknown_and_malformed(world):
    _, dev, _ = active_developer(world)
    r = call("POST", "/reports/me/current", None, dev.token)
    code = r["code"]
    status, html, headers = page("GET", f"/verify/{code.replace('-', '').lower()}")
    assert status == 200 and 'data-verdict="genuine"' in html
    assert "张堃喆" in html and "2026-11" in html and headers["content-type"].startswith("text/html")
    assert 'data-verdict="genuine"' in page("GET", "/verify", query={"code": code})[1]

    # By upload: the exact bytes are genuine; one changed byte is not.
    pdf = download(r["download_url"])
    boundary = "XyZ"

    def multipart(data: bytes) -> bytes:
        return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"r.pdf\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()

    form = {"content-type": f"multipart/form-data; boundary={boundary}"}
    assert 'data-verdict="genuine"' in page("POST", "/verify", multipart(pdf), form)[1]
    tampered = pdf.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in pdf else pdf[:-10] + b"0" * 10
    assert tampered != pdf
    assert 'data-verdict="not_genuine"' in page("POST", "/verify", multipart(tampered), form)[1]
    assert 'data-verdict="genuine"' in page("POST", "/verify", pdf, {"content-type": "application/pdf"})[1]

    # A record altered in the database (the canonical data) no longer matches its seal: not genuine.
    run(lambda uow: uow.execute("UPDATE growth_reports SET data = convert_to(replace(convert_from(data, 'UTF8'),"
                                " '张堃喆', '王五'), 'UTF8')"))
    assert 'data-verdict="not_genuine"' in page("GET", f"/verify/{code}")[1]

    # A well-formed code nobody issued, and a mistyped one.
    from shared.reports.signing import code_for

    assert 'data-verdict="unknown"' in page("GET", f"/verify/{code_for(b'x' * 64)}")[1]
    mistyped = code[:-1] + ("2" if code[-1] != "2" else "3")
    assert 'data-verdict="malformed"' in page("GET", f"/verify/{mistyped}")[1]
    assert page("POST", "/verify", "code=1", {"content-type": "application/x-www-form-urlencoded"})[0] == 400


def test_monthly_fan_out_enqueues_one_job_per_active_developer_in_batches(world, clock):
    devs = []
    for i in range(3):
        _, dev, _ = active_developer(world, name=f"开发者{i}")
        devs.append(dev.user_id)
    world.developer("不活跃")  # no activity: no report
    out = schedule.fan_out(MONTH, batch_size=2, page=2)
    assert out == {"developers": 3, "batches": 2}
    queued = rows("SELECT payload, run_at FROM jobs WHERE kind = 'report_generate' ORDER BY run_at, id")
    assert sorted(q.payload["developer_id"] for q in queued) == sorted(devs)
    assert len({q.run_at for q in queued}) == 2  # two batches, a minute apart
    assert schedule.fan_out(MONTH, batch_size=2)["developers"] == 3  # again: nothing new queued (dedupe keys)
    assert scalar("SELECT count(*) FROM jobs WHERE kind = 'report_generate'") == 3
    # Not on the 1st: the timer does nothing.
    assert schedule.monthly() == {"developers": 0, "batches": 0}
    # The worker issues them (the second batch when its minute comes).
    clock.advance(timedelta(minutes=2))
    jobs.work()
    assert sorted(r.developer_id for r in rows("SELECT developer_id FROM growth_reports")) == sorted(devs)
    # Re-running a job is harmless: the same report.
    service.generate(devs[0], MONTH)
    assert scalar("SELECT count(*) FROM growth_reports") == 3


def test_the_first_of_the_month_issues_last_months_final_report(world, clock):
    _, dev, _ = active_developer(world)
    clock.advance(timedelta(days=6))  # 2026-12-01 10:00 Beijing
    world.renew(dev)
    assert schedule.monthly() == {"developers": 1, "batches": 1}
    jobs.work()
    [row] = rows("SELECT id, month, final, as_of, code FROM growth_reports")
    assert row.month == MONTH and row.final and str(row.as_of) == "2026-11-30"
    [notice] = rows("SELECT user_id, kind, title, body, data FROM notifications WHERE kind = 'report_ready'")
    assert notice.user_id == dev.user_id and notice.title == "2026 年 11 月成长报告已生成"
    assert notice.data == {"report_id": row.id, "month": MONTH} and row.code[:4] in notice.body
    # Asking for the month so far never notifies (the developer is looking at it).
    assert call("POST", "/reports/me/current", None, dev.token).status == 200
    assert scalar("SELECT count(*) FROM notifications WHERE kind = 'report_ready'") == 1


def test_the_resume_card_shows_only_public_fields_and_opting_out_takes_it_down(world):
    _, dev, _ = active_developer(world, name="李四")
    r = call("PUT", "/profiles/developer", {"display_name": "李四", "headline": "后端工程师", "bio": "私密简介不公开",
                                             "city": "杭州", "skills": ["python"],
                                             "public_fields": ["display_name", "headline", "skills", "rating"]},
             dev.token)
    assert r.status == 200, r.body
    assert page("GET", f"/reports/cards/{dev.user_id}")[0] == 404  # not public yet
    r = call("PUT", "/reports/card", {"enabled": True, "sections": ["growth", "rated_work"]}, dev.token)
    assert r.status == 200 and r["url"].endswith(f"/reports/cards/{dev.user_id}")
    status, html, headers = page("GET", f"/reports/cards/{dev.user_id}")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert "李四" in html and "后端工程师" in html and 'property="og:title"' in html
    assert "交付很快，代码清晰" in html and 'id="growth"' in html  # rated work and the skill graph: chosen
    assert "私密简介不公开" not in html and "杭州" not in html  # bio, city: not public fields
    assert 'id="badges"' not in html and 'id="letters"' not in html  # sections not chosen
    # Rating made private: the rated work's comments go with it.
    call("PUT", "/profiles/developer", {"display_name": "李四", "headline": "后端工程师", "skills": ["python"],
                                        "public_fields": ["display_name", "headline"]}, dev.token)
    html = page("GET", f"/reports/cards/{dev.user_id}")[1]
    assert "交付很快" not in html and 'id="growth"' not in html
    # Share: a link and a real PNG mini-program code, stored in COS.
    share = call("POST", "/reports/card/share", None, dev.token)
    assert share.status == 200, share.body
    png = download(share["wxa_code_url"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    Image.open(io.BytesIO(png)).verify()  # a real, decodable PNG
    # Opting out: down at once.
    call("PUT", "/reports/card", {"enabled": False}, dev.token)
    assert page("GET", f"/reports/cards/{dev.user_id}")[0] == 404
    assert call("POST", "/reports/card/share", None, dev.token).status == 409
    assert call("GET", "/reports/card", token=dev.token)["url"] is None


def test_the_public_card_data_is_what_the_page_shows_and_goes_with_it(world):
    _, dev, _ = active_developer(world, name="王五")
    call("PUT", "/profiles/developer", {"display_name": "王五", "headline": "小程序开发", "bio": "不公开的简介",
                                        "skills": ["python"], "public_fields": ["display_name", "headline", "rating"]},
         dev.token)
    assert call("GET", f"/reports/cards/{dev.user_id}/data").status == 404  # not public yet
    call("PUT", "/reports/card", {"enabled": True, "sections": ["growth", "rated_work"]}, dev.token)
    card = call("GET", f"/reports/cards/{dev.user_id}/data")  # no token: public
    assert card.status == 200, card.body
    assert card["profile"]["display_name"] == "王五" and card["profile"]["headline"] == "小程序开发"
    assert card["profile"]["bio"] is None  # not a public field
    assert card["url"].endswith(f"/reports/cards/{dev.user_id}")
    assert card["level"] is None and card["top_skills"] == []  # growth needs the skills field public
    assert [w["comment"] for w in card["rated_work"]] == ["交付很快，代码清晰"] and card["rated_work"][0]["stars"] == 5
    assert card["badges"] == [] and card["letters"] == []  # sections not chosen
    call("PUT", "/reports/card", {"enabled": False}, dev.token)
    gone = call("GET", f"/reports/cards/{dev.user_id}/data")
    assert gone.status == 404 and gone["code"] == "RESUME_CARD_NOT_FOUND"


def test_an_operators_cohort_export_builds_a_zip_with_a_csv_summary(world, clock):
    devs = [active_developer(world, name=f"成员{i}")[1] for i in range(2)]
    admin = world.admin()
    r = call("POST", "/reports/admin/exports", {"month": MONTH, "active_only": True}, admin.token)
    assert r.status == 202, r.body
    assert r["status"] == "running" and r["total"] == 2 and r["done"] == 0
    jobs.work()
    r = call("GET", f"/reports/admin/exports/{r['id']}", token=admin.token)
    assert r["status"] == "done" and r["done"] == 2 and r["progress_percent"] == 100
    archive = zipfile.ZipFile(io.BytesIO(download(r["zip_url"])))
    names = archive.namelist()
    assert "summary.csv" in names and sum(n.endswith(".pdf") for n in names) == 2
    summary = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode("utf-8-sig"))))
    assert sorted(int(s["developer_id"]) for s in summary) == sorted(d.user_id for d in devs)
    assert {s["name"] for s in summary} == {"成员0", "成员1"}
    # A single developer; a month in the future is refused; developers cannot start runs.
    one = call("POST", "/reports/admin/exports", {"month": MONTH, "user_id": devs[0].user_id}, admin.token)
    assert one["total"] == 1
    assert call("POST", "/reports/admin/exports", {"month": "2027-01"}, admin.token).status == 422
    assert call("POST", "/reports/admin/exports", {"month": MONTH}, devs[0].token).status == 403
    assert call("GET", "/reports/admin/exports/999", token=admin.token).status == 404


def test_an_export_whose_zip_keeps_failing_ends_failed_with_the_error(world, clock):
    from shared.adapters.cos import cos

    _, dev, _ = active_developer(world, name="丢失的报告")
    admin = world.admin()
    issued = service.generate(dev.user_id, MONTH)
    cos().delete(issued.cos_key)  # the PDF vanished from the bucket: every ZIP attempt fails
    r = call("POST", "/reports/admin/exports", {"month": MONTH, "user_id": dev.user_id}, admin.token)
    export_id = r["id"]
    jobs.work()
    r = call("GET", f"/reports/admin/exports/{export_id}", token=admin.token)
    # Between attempts the run is still running (it may yet succeed), and says why it is waiting.
    assert r["status"] == "running" and r["done"] == 1 and r["zip_url"] is None
    assert "ZIP 打包失败" in r["error"]
    for _ in range(6):  # past each backoff (30 s, 1, 2, 4, 8 min) until the job's 6 attempts are spent
        clock.advance(timedelta(minutes=9))
        jobs.work()
    assert scalar("SELECT status FROM jobs WHERE kind = 'report_export'"
                  f" AND payload->>'export_id' = '{export_id}'") == "failed"
    r = call("GET", f"/reports/admin/exports/{export_id}", token=admin.token)
    assert r["status"] == "failed" and r["zip_url"] is None and r["finished_at"] is not None
    assert r["error"].startswith("导出失败") and "CosNotFound" in r["error"]


def test_the_same_report_issued_concurrently_is_recorded_once(world):
    import threading

    _, dev, _ = active_developer(world)
    results, errors = [], []

    def issue() -> None:
        try:
            results.append(service.generate(dev.user_id, MONTH))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len({r.code for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert scalar("SELECT count(*) FROM growth_reports") == 1


def test_cos_is_never_called_inside_a_transaction(platform, db):
    from shared.adapters.cos import cos
    from shared.txguard import ExternalCallInTransaction
    from shared.uow import UnitOfWork

    with UnitOfWork() as uow:
        uow.execute("SELECT 1")
        with pytest.raises(ExternalCallInTransaction):
            cos().put("tests/inside.txt", b"x", "text/plain")
    assert cos().head("tests/inside.txt") is None
