"""The report PDF read back: its text (Chinese intact), its pages as images against committed references (no missing
glyph boxes), its size, its determinism, and random data within the model's limits.

Needs the built fonts (`make fonts`) and poppler-utils (`make test` provides both). To accept a deliberate change of
the layout, regenerate the references with `UPDATE_REPORT_REFERENCES=1 .venv/bin/python -m pytest
tests/unit/test_report_render.py` and look at the PNGs before committing them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from shared.reports.fonts import LATIN, PRIMARY, REST, get_fonts
from shared.reports.model import (
    Developer,
    ReportData,
    canonical_bytes,
)
from shared.reports.render import _Canvas, render, render_report
from shared.reports.signing import display_code, sign, verify_url
from shared.reports.suggestions import finalize
from tests.support.pdf import difference, page_count, pdftotext, render_page
from tests.support.report_strategies import report_data
from tests.support.reports import COMMENTS, busy_month, quiet_month, worst_case

DATA = Path(__file__).parent / "data"
BASE = "https://codelink.example.cn"
LIMIT = 100 * 1024
UPDATE = os.environ.get("UPDATE_REPORT_REFERENCES") == "1"


def _render(data: ReportData):
    seal = sign(canonical_bytes(data))
    return seal, render(data, code=seal.code, verify_url=verify_url(BASE, seal.code))


@pytest.fixture(scope="module")
def busy():
    data = busy_month()
    seal, result = _render(data)
    return data, seal, result


def test_text_is_extracted_intact(busy):
    _, seal, result = busy
    text = pdftotext(result.pdf)
    for expected in ("CodeLink 月度成长报告", "2026年10月", "李明轩", "开发者 #1024", "稳定输出者", "等级进度",
                     "当前等级 B → 下一级 A", "平均评分", "还差 0.09", "技能雷达", "后端", "移动端", "完成的任务",
                     "微信小程序商城首页改版", "Django 后台接口性能优化", "商家评价", "徽章与称号", "高分达人",
                     "导师推荐信", "王建国", "成长建议", "依据：规则 level_gap", "¥23,320.00",
                     f"验证码 {display_code(seal.code)}", verify_url(BASE, seal.code)):
        assert expected in text, expected
    shown_comments = [c for c in COMMENTS if c in text]
    assert shown_comments, "no merchant comment came out whole"
    # the code and the page number on every page
    assert text.count(display_code(seal.code)) == result.pages == page_count(result.pdf)
    assert f"第 {result.pages} / {result.pages} 页" in text


def test_rare_characters_use_the_fallback_fonts_and_come_out_intact():
    data = busy_month(name="王堃喆 Nguyễn", tasks=3)
    _, result = _render(data)
    text = pdftotext(result.pdf)
    assert "王堃喆 Nguyễn" in text  # 堃 喆 are not in GB2312: the rest font; ễ: a fallback too
    assert result.fonts[0] == PRIMARY and REST in result.fonts
    name = "小明👍🏻\u200d ok\ue000 ภาษา"
    emoji = finalize(data.model_copy(update={"developer": Developer(id=1, display_name=name)}))
    _, result = _render(emoji)  # render() raises if any character lacked a glyph
    # emoji, the joiner and private use dropped; Thai (no font has it) shown as "?"
    assert "小明 ok ????" in pdftotext(result.pdf)


def test_windows_line_breaks_and_tabs_in_user_text():
    data = busy_month(tasks=2)
    letter = data.mentor_letters[0].model_copy(update={"text": "第一段\r\n第二段\t结尾\r第三段"})
    _, result = _render(finalize(data.model_copy(update={"mentor_letters": (letter,)})))
    text = pdftotext(result.pdf)
    assert "第一段\n第二段 结尾\n第三段" in text


def test_latin_fallback_font_draws_what_the_cjk_fonts_lack():
    fonts = get_fonts()
    assert fonts.family_of(ord("ʃ")) == LATIN  # IPA: DejaVu has it, Noto CJK does not
    data = finalize(busy_month(tasks=2).model_copy(update={"title": "ʃ型选手"}))
    _, result = _render(data)
    assert LATIN in result.fonts
    assert "ʃ型选手" in pdftotext(result.pdf)


def test_busy_month_is_at_most_100_kb(busy):
    _, _, result = busy
    assert len(result.pdf) <= LIMIT
    assert result.pages >= 2
    assert result.trimmed == 0  # a realistic busy month is shown whole


def test_same_data_same_bytes_even_in_another_process(busy):
    data, seal, result = busy
    again = render_report(data, code=seal.code, verify_url=verify_url(BASE, seal.code))
    assert again == result.pdf
    # another interpreter (another string hash seed, fonts parsed again) gives the same bytes too
    script = ("import hashlib,sys; from tests.support.reports import busy_month; "
              "from shared.reports.model import canonical_bytes; from shared.reports.signing import sign, verify_url; "
              "from shared.reports.render import render_report; d = busy_month(); s = sign(canonical_bytes(d)); "
              f"sys.stdout.write(hashlib.sha256(render_report(d, code=s.code, verify_url=verify_url({BASE!r}, s.code)))"
              ".hexdigest())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,  # noqa: S603
                         env={**os.environ, "PYTHONHASHSEED": "12345"}, cwd=Path(__file__).parents[2])
    assert out.stdout == hashlib.sha256(result.pdf).hexdigest()


def test_different_data_different_bytes(busy):
    data, _, result = busy
    changed = finalize(data.model_copy(update={"earnings": data.earnings.model_copy(update={"net_fen": 1})}))
    _, other = _render(changed)
    assert other.pdf != result.pdf


def test_quiet_month_renders_its_empty_states():
    _, result = _render(quiet_month())
    text = pdftotext(result.pdf)
    for expected in ("Alex Chen", "本月至今，截至10月15日", "暂无评价", "本月暂无技能积分", "本月没有完成的任务",
                     "本月暂无徽章", "依据：规则 no_tasks"):
        assert expected in text, expected


def _reference(name: str, image) -> None:
    path = DATA / name
    if UPDATE:
        DATA.mkdir(exist_ok=True)
        image.save(path, optimize=True)
        pytest.skip(f"reference {path.name} rewritten")
    if not path.exists():
        pytest.fail(f"{path} missing: run with UPDATE_REPORT_REFERENCES=1 once and commit it")


@pytest.mark.parametrize("page", [1, 2])
def test_pages_look_like_the_references(busy, page):
    from PIL import Image

    _, _, result = busy
    image = render_page(result.pdf, page, dpi=40)
    _reference(f"report_busy_p{page}.png", image)
    mean, big = difference(image, Image.open(DATA / f"report_busy_p{page}.png").convert("L"))
    assert mean < 2.5 and big < 0.01, (mean, big)


def _line_pdf(text: str, *, tofu: bool) -> bytes:
    """One line of report text; with tofu=True drawn in the Latin font alone, so every Chinese character is the
    missing-glyph box — what a report without its CJK font would look like."""
    from fpdf import FPDF

    fonts = get_fonts()
    pdf = FPDF(unit="mm", format=(120, 16))
    if tofu:
        fonts.template(LATIN).install(pdf)
        pdf.add_page()
        pdf.set_font(LATIN, size=16)
        pdf.text(4, 11, text)
    else:
        fonts.install(pdf, PRIMARY)
        pdf.add_page()
        _Canvas(pdf, fonts).text(4, 11, text, 16)
    fonts.finish(pdf)
    return bytes(pdf.output())


def test_no_missing_glyph_boxes():
    from PIL import Image

    line = "李明轩 月度成长报告 ★4.31"
    ours = render_page(_line_pdf(line, tofu=False), dpi=100)
    _reference("report_line.png", ours)
    reference = Image.open(DATA / "report_line.png").convert("L")
    tofu = render_page(_line_pdf(line, tofu=True), dpi=100)
    mean, big = difference(ours, reference)
    assert mean < 2.5 and big < 0.01, (mean, big)
    # the comparison would catch boxes: the tofu rendering is far from the reference
    tofu_mean, tofu_big = difference(tofu, reference)
    assert tofu_big > 0.05 and tofu_mean > 10 * max(mean, 0.5), (tofu_mean, tofu_big)


def test_worst_case_within_the_documented_limits_is_at_most_100_kb():
    _, result = _render(worst_case())
    assert result.trimmed > 0  # the glyph budget had to cut
    assert len(result.pdf) <= LIMIT, len(result.pdf)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(report_data())
def test_any_data_within_the_limits_renders_under_100_kb(data):
    seal, result = _render(data)
    assert len(result.pdf) <= LIMIT
    assert result.pdf.startswith(b"%PDF-") and result.pdf.rstrip().endswith(b"%%EOF")
    assert display_code(seal.code) in pdftotext(result.pdf)
