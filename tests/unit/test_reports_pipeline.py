"""The pure parts of the reports pipeline: months in Asia/Shanghai, the public pages' HTML (escaped, only what is
given), the verdict wording, the public-key setting."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shared import clock
from shared.profiles.schemas import ResumeCardOut
from shared.reports import pages
from shared.reports.cards import CardPage
from shared.reports.sources import current_month, last_day, month_bounds
from shared.reports.verify import GENUINE, MALFORMED, NOT_GENUINE, UNKNOWN, Verdict, _keys
from tests.support.reports import busy_month


@given(st.integers(2000, 2099), st.integers(1, 12))
def test_months_are_contiguous_shanghai_months(year: int, month: int) -> None:
    key = f"{year}-{month:02d}"
    start, end = month_bounds(key)
    assert start.tzinfo == clock.SHANGHAI and start.day == 1 and start.hour == 0
    assert end > start and (end - timedelta(days=1)).strftime("%Y-%m") == key
    assert last_day(key) == (end - timedelta(days=1)).date()
    nxt = f"{year + (month == 12)}-{month % 12 + 1:02d}"
    assert month_bounds(nxt)[0] == end  # no gap, no overlap


def test_the_current_month_is_beijings() -> None:
    # 2026-11-30 16:30 UTC is already 2026-12-01 00:30 in Beijing.
    from datetime import timezone

    assert current_month(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)) == "2026-12"
    assert current_month(datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc)) == "2026-11"


def test_the_verify_page_escapes_and_words_each_verdict() -> None:
    report = busy_month("2026-10", name="<script>alert(1)</script>")
    html = pages.verify_page(Verdict(GENUINE, "ABCDEFGHJKM", report, version=2))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'data-verdict="genuine"' in html and "ABCD-EFGH-JKM" in html and "2026-10" in html
    for status, words in ((NOT_GENUINE, "不是真实报告"), (UNKNOWN, "未找到该报告"), (MALFORMED, "验证码格式有误")):
        page = pages.verify_page(Verdict(status))
        assert words in page and f'data-verdict="{status}"' in page and "报告摘要" not in page
    superseded = pages.verify_page(Verdict(GENUINE, "ABCDEFGHJKM", report, superseded=True))
    assert "更新的版本" in superseded
    assert "<form" in pages.verify_page(None) and 'name="pdf"' in pages.verify_page(None)


def test_the_card_page_shows_only_what_it_is_given() -> None:
    card = CardPage(profile=ResumeCardOut(user_id=7, display_name="王<b>五</b>", headline="前端"),
                    level="B", categories=[("前端", 40), ("后端", 10)], badges=["入驻见面礼"])
    html = pages.card_page(card, url="https://api.example.com/reports/cards/7")
    assert "王&lt;b&gt;五&lt;/b&gt;" in html and "<b>五" not in html
    assert 'property="og:title"' in html and 'content="https://api.example.com/reports/cards/7"' in html
    assert 'id="growth"' in html and 'id="badges"' in html
    for absent in ('id="rated-work"', 'id="letters"', 'id="challenges"', "年经验", "评分"):
        assert absent not in html, absent
    assert 'name="viewport"' in html and 'lang="zh-CN"' in html


def test_public_keys_are_named_by_their_key_id() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from shared.reports.signing import key_id, public_key_bytes

    keys = [Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in (1, 2)]
    setting = ", ".join(base64.b64encode(public_key_bytes(k)).decode() for k in keys)
    parsed = _keys(setting)
    assert parsed == {key_id(k): public_key_bytes(k) for k in keys}

