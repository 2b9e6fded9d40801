"""The report fonts: the parsed-font sharing gives exactly what fpdf2's own add_font gives, and stays unchanged by the
documents it serves; coverage and sanitizing; the settings that find the fonts."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from shared.reports.fonts import LATIN, PRIMARY, REST, FontSet, FontsMissing, font_dir, get_fonts
from tests.support.pdf import pdftotext

TEXT = "成长报告 Growth ¥1,234 ★☆ 李明轩：交付准时，代码清晰。"


def _pdf(text: str, *, template: bool, family: str = PRIMARY, recalc_bboxes: bool = False) -> bytes:
    from fpdf import FPDF

    fonts = get_fonts()
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=timezone.utc))
    if template:
        fonts.template(family).install(pdf)
    else:
        pdf.add_font(family, "", str(fonts.template(family).path))
        pdf.fonts[family].ttfont.recalcBBoxes = recalc_bboxes
    pdf.add_page()
    pdf.set_font(family, size=12)
    pdf.text(10, 20, text)
    if template:
        fonts.finish(pdf)
    return bytes(pdf.output())


def test_shared_font_gives_the_same_pdf_as_fpdf2_add_font():
    # byte for byte, against add_font told not to re-encode outlines …
    assert _pdf(TEXT, template=True) == _pdf(TEXT, template=False)
    # … and the same text as fpdf2's defaults
    assert pdftotext(_pdf(TEXT, template=True)).strip() == pdftotext(_pdf(TEXT, template=False,
                                                                          recalc_bboxes=True)).strip()


def test_template_is_not_changed_by_the_documents_it_serves():
    first = _pdf(TEXT, template=True)
    for other in ("完全不同的一段文字 0123", "另一份报告：导师推荐信", TEXT[::-1]):
        _pdf(other, template=True)
    assert _pdf(TEXT, template=True) == first


def test_latin_font_composite_glyphs_survive_sharing():
    # DejaVu builds accented letters from components whose ids the subsetter rewrites: each document gets its own
    text = "Ǻ Ḗ ǭ ʃ Nguyễn"
    first = _pdf(text, template=True, family=LATIN)
    _pdf("Ǻ ő ŝ ŵ other composites", template=True, family=LATIN)
    assert _pdf(text, template=True, family=LATIN) == first
    assert pdftotext(first).strip() == text


def test_coverage_and_fallback_order():
    fonts = get_fonts()
    assert fonts.family_of(ord("成")) == PRIMARY
    assert fonts.family_of(ord("A")) == PRIMARY
    assert fonts.family_of(ord("堃")) == REST  # a name character outside GB2312
    assert fonts.family_of(ord("ʃ")) == LATIN
    assert fonts.family_of(ord("👍")) is None  # most emoji: no font (DejaVu has a few, e.g. 😀)
    plan = fonts.plan("李明轩堃")
    assert plan.families == (PRIMARY, REST)
    assert plan.glyph_bytes == sum(fonts.cost(ord(c)) for c in "李明轩堃")


def test_sanitize():
    fonts = get_fonts()
    assert fonts.sanitize("普通的文字 plain") == "普通的文字 plain"
    assert fonts.sanitize("👍好\u200d评\ufe0f") == "好评"
    assert fonts.sanitize("ภา") == "??"  # a script none of the fonts has


def test_missing_or_outdated_fonts_are_reported(tmp_path: Path):
    with pytest.raises(FontsMissing, match="make fonts"):
        FontSet(tmp_path)
    (tmp_path / "fonts.json").write_text(json.dumps({"version": 0}))
    with pytest.raises(FontsMissing, match="build 0"):
        FontSet(tmp_path)


def test_font_dir_comes_from_the_settings(monkeypatch, tmp_path: Path):
    from shared.config import reset_settings

    monkeypatch.setenv("REPORT_FONT_DIR", str(tmp_path))
    reset_settings()
    try:
        assert font_dir() == tmp_path
    finally:
        monkeypatch.delenv("REPORT_FONT_DIR")
        reset_settings()
    assert font_dir() == Path(__file__).parents[2] / "build" / "fonts"


def test_primary_font_covers_all_of_gb2312_and_the_rest_font_what_it_lacks():
    from infra.fonts import gb2312_codepoints

    fonts = get_fonts()
    gb = gb2312_codepoints()
    assert len(gb) == 7445
    missing = [chr(cp) for cp in gb if not fonts.primary.covers(cp)]
    # a handful of GB2312 symbols (e.g. row 1-9 punctuation variants) may be missing from Noto: the fallbacks have them
    assert all(fonts.family_of(ord(c)) is not None for c in missing), missing
    hanzi = [cp for cp in gb if 0x4E00 <= cp <= 0x9FFF]
    assert len(hanzi) == 6763 and all(fonts.primary.covers(cp) for cp in hanzi)
    assert not set(fonts.template(REST).cmap) & set(fonts.primary.cmap)  # no character in both
