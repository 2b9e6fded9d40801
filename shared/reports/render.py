"""The monthly growth report as a PDF (fpdf2): `render_report(data, code=…, verify_url=…) -> bytes`.

Page 1 is the month at a glance (headline numbers, level progress, the skill radar and the monthly bars, and the
growth suggestions with the rule behind each when they fit); the next pages list the work (tasks, merchants'
comments), badges and title, challenges and mentor letters. Every page carries the verification code and a QR
code of the verify URL.

Three properties the tests hold it to:
- **Deterministic**: the same data, code and URL give the same bytes — the creation date is the data's `as_of`, the
  PDF's /ID is a hash of its content (fpdf2's default), every list is in the model's canonical order, and nothing
  reads the clock or a random source.
- **At most 100 KB**: what dominates the size is the outline of each distinct character (a Chinese glyph costs
  ~100–250 bytes compressed), so the text shown is governed by a glyph budget: strings are admitted in a fixed
  priority order (labels, name and title, numbers, level, skills, badges, tasks, challenges, suggestions, comments,
  letters) and a string that would need new glyphs past the budget is cut with "…". Shown lengths are capped too
  (MAX_* below); the full texts stay in the signed data and on the resume card page. Charts are vector paths, the
  QR code one small 1-bit image placed on every page (a few KB together).
- **No missing glyphs**: every character is drawn by a font that has it (shared/reports/fonts.py: primary, rest,
  Latin), switching font per run of characters; what no font has is dropped or shown as "?".

Drawing is native (lines, polygons, rectangles): no plotting library, nothing heavy at import.
"""

from __future__ import annotations

import calendar
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, time

from fpdf import FPDF
from fpdf.enums import TextMode

from shared.clock import SHANGHAI
from shared.reports.fonts import PRIMARY, FontSet, get_fonts
from shared.reports.model import ReportData
from shared.reports.signing import display_code
from shared.reports.suggestions import stars

# --- limits of what is shown (the data itself may hold more; see model.py for the data's limits) ---------------------
GLYPH_BUDGET_BYTES = 120_000  # raw TrueType outline bytes of the distinct characters (≤ ~75 KB in the PDF)
MAX_TASK_ROWS = 20
MAX_COMMENTS = 6
COMMENT_CHARS = 80
MAX_LETTERS = 2
LETTER_CHARS = 160
MAX_PARAGRAPHS = 4  # line breaks kept in a letter excerpt
MAX_BADGES = 16
MAX_CHALLENGES = 8
MAX_RADAR_AXES = 8
MAX_BAR_MONTHS = 12
MAX_SUGGESTIONS = 5

# --- page geometry (mm) and style ------------------------------------------------------------------------------------
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 14.0
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_TOP = PAGE_H - 30.0  # content stops here; the footer (code + QR) is below
PT = 25.4 / 72  # one point in mm

INK = (33, 37, 41)
MUTED = (108, 117, 125)
LINE = (222, 226, 230)
ACCENT = (22, 119, 255)
ACCENT_LIGHT = (214, 230, 255)
HEADER_BG = (17, 56, 120)
WHITE = (255, 255, 255)
PALETTE = ((22, 119, 255), (250, 140, 22), (82, 196, 26), (235, 47, 150), (19, 194, 194), (114, 46, 209),
           (250, 219, 20), (140, 140, 140))

ELLIPSIS = "…"
CLOSING = "，。、；：！？）」』》,.;:!?)"
STATUS = {"completed": "已完成", "in_progress": "进行中", "failed": "未完成"}
# Every fixed label the renderer may print, charged to the glyph budget first so it is never cut.
LABELS = ("CodeLink 月度成长报告", "开发者", "年", "月", "日", "截至", "本月至今", "完成任务", "净收入",
          "平均评分", "技能积分", "次评价", "暂无评价", "等级进度", "当前等级", "下一级", "已是最高等级", "已满足",
          "还差", "现", "需", "技能成长", "技能雷达（累计积分）", "每月技能积分", "上月末", "本月末",
          "本月暂无技能积分", "完成的任务", "日期", "任务", "商家", "报酬", "评分", "另有", "个任务未列出", "合计",
          "商家评价", "徽章与称号", "称号", "新", "本月暂无徽章", "挑战", "状态", "积分", "奖励",
          "已完成进行中未完成", "导师推荐信", "导师", "成长建议", "依据", "规则", "验证码", "扫码或访问",
          "以下地址，验证本报告真伪", "第", "页", "共", "/", "¥,.-+:：·（）()%★☆#→", "本月没有完成的任务", "无",
          "佣金", "奖金", "项", "个", "0123456789", ELLIPSIS, "?")


# --- text admission under the glyph budget -------------------------------------------------------------------------

@dataclass
class _Budget:
    fonts: FontSet
    limit: int
    used: set[str] = field(default_factory=set)
    spent: int = 0
    trimmed: int = 0

    def charge(self, text: str) -> None:
        """Admit text that must appear whole (labels, numbers)."""
        for c in text:
            if c not in self.used:
                self.used.add(c)
                self.spent += self.fonts.cost(ord(c))

    def take(self, text: str, max_chars: int | None = None, *, one_line: bool = True) -> str:
        """The part of `text` that is shown: sanitized, at most `max_chars`, and cut with … where its next new
        character would overspend the budget."""
        text = self.fonts.sanitize(text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
        if one_line:
            text = " ".join(text.split())
        else:  # paragraphs kept, blank lines dropped, at most MAX_PARAGRAPHS of them
            paras = [" ".join(p.split()) for p in text.split("\n")]
            paras = [p for p in paras if p]
            text = "\n".join([*paras[: MAX_PARAGRAPHS - 1], " ".join(paras[MAX_PARAGRAPHS - 1:])])
        if max_chars is not None and len(text) > max_chars:
            text = text[: max_chars - 1] + ELLIPSIS
            self.trimmed += 1
        out: list[str] = []
        for c in text:
            if c not in self.used:
                cost = self.fonts.cost(ord(c))
                if self.spent + cost > self.limit:
                    out.append(ELLIPSIS)
                    self.trimmed += 1
                    break
                self.used.add(c)
                self.spent += cost
            out.append(c)
        return "".join(out)


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _month_label(month: str) -> str:
    return f"{int(month[5:])}月"


# --- the view: every string shown, decided before anything is drawn -----------------------------------------------

@dataclass
class _TaskRow:
    date: str
    title: str
    merchant: str
    reward: str
    rating: int | None


@dataclass
class _View:
    name: str
    title: str
    subtitle: str
    skills: list[tuple[str, int, int]]  # (name, points_total, points_month)
    months: list[str]
    bars: list[list[int]]  # per month, points per skill (same order as skills)
    rows: list[_TaskRow]
    more_tasks: str
    comments: list[tuple[str, str]]  # (header, text)
    badges: list[tuple[str, bool]]
    challenges: list[tuple[str, str, str, str]]
    letters: list[tuple[str, str]]
    suggestions: list[tuple[str, str]]  # (text, basis)
    requirements: list[tuple[str, int, int, str]]  # (label, current, required, text)


def _view(d: ReportData, b: _Budget) -> _View:
    for label in LABELS:
        b.charge(label)
    b.charge(d.month + d.as_of.isoformat())
    name = b.take(d.developer.display_name, 40)
    title = b.take(d.title, 12) if d.title else ""
    b.charge(f"{d.developer.id}{d.ratings.count}{yuan(d.earnings.net_fen)}{yuan(d.earnings.reward_fen)}"
             f"{yuan(d.earnings.commission_fen)}{yuan(d.earnings.bonus_fen)}{len(d.tasks)}{d.level.current}"
             f"{d.level.next or ''}{d.level.previous or ''}{sum(s.points_month for s in d.skills)}")
    year, mon = d.month[:4], int(d.month[5:])
    so_far = d.as_of.day < _days_in_month(int(year), mon)
    subtitle = f"{year}年{mon}月" + (f"（本月至今，截至{mon}月{d.as_of.day}日）" if so_far else "")
    b.charge(subtitle + "由升至→")

    requirements = []
    for q in d.level.requirements:
        label = b.take(q.label, 8)
        if q.scale == 100:
            text = f"现 {stars(q.current)} / 需 {stars(q.required)}"
            text += "（已满足）" if q.met else f"（还差 {stars(q.missing)}）"
        else:
            text = f"现 {q.current} / 需 {q.required}" + ("（已满足）" if q.met else f"（还差 {q.missing}）")
        b.charge(text)
        requirements.append((label, q.current, q.required, text))

    skills_sorted = list(d.skills)[:MAX_RADAR_AXES]
    skills = [(b.take(s.name, 6), s.points_total, s.points_month) for s in skills_sorted]
    for s in skills_sorted:
        b.charge(f"{s.points_total}{s.points_month}")
    months = sorted({m.month for s in skills_sorted for m in s.history})[-MAX_BAR_MONTHS:]
    bars = [[next((m.points for m in s.history if m.month == month), 0) for s in skills_sorted] for month in months]
    for month in months:
        b.charge(_month_label(month))
    if bars:
        b.charge(str(max(sum(row) for row in bars)))

    badges = [(b.take(x.name, 8), x.new_this_month) for x in list(d.badges)[-MAX_BADGES:]]
    rows = []
    for t in list(d.tasks)[-MAX_TASK_ROWS:]:
        rows.append(_TaskRow(date=t.completed_on.strftime("%m-%d"), title=b.take(t.title, 24),
                             merchant=b.take(t.merchant, 10), reward=yuan(t.reward_fen), rating=t.rating))
        b.charge(rows[-1].reward)
    hidden = d.tasks[: max(0, len(d.tasks) - MAX_TASK_ROWS)]
    more_tasks = ""
    if hidden:
        more_tasks = f"另有 {len(hidden)} 个任务未列出（合计 {yuan(sum(t.reward_fen for t in hidden))}）"
        b.charge(more_tasks)
    challenges = []
    for c in list(d.challenges)[:MAX_CHALLENGES]:
        points = f"+{c.points}" if c.points else ""
        b.charge(points)
        challenges.append((b.take(c.name, 16), STATUS[c.status], points, b.take(c.reward or "", 14)))
    suggestions = []
    for sug in list(d.suggestions)[:MAX_SUGGESTIONS]:
        basis = f"规则 {sug.rule}" + ("：" + ", ".join(f"{k}={v}" for k, v in sug.facts) if sug.facts else "")
        suggestions.append((b.take(sug.text, 120), b.take(basis, 90)))
    commented = sorted((t for t in d.tasks if t.comment and t.comment.strip()),
                       key=lambda t: (t.completed_on, t.task_id), reverse=True)[:MAX_COMMENTS]
    comments = []
    for t in commented:
        header = ("★" * (t.rating or 0) + "☆" * (5 - (t.rating or 0)) if t.rating else "") + " " \
            + b.take(t.merchant, 10) + " · " + b.take(t.title, 16)
        comments.append((header, b.take(t.comment or "", COMMENT_CHARS)))
    letters = []
    for m in list(d.mentor_letters)[-MAX_LETTERS:]:
        head = f"导师 {b.take(m.mentor_name, 12)} · {m.written_on.isoformat()}"
        if m.challenge:
            head += f" · {b.take(m.challenge, 16)}"
        b.charge(m.written_on.isoformat())
        letters.append((head, b.take(m.text, LETTER_CHARS, one_line=False)))
    return _View(name=name, title=title, subtitle=subtitle, skills=skills, months=months, bars=bars, rows=rows,
                 more_tasks=more_tasks, comments=comments, badges=badges, challenges=challenges, letters=letters,
                 suggestions=suggestions, requirements=requirements)


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


# --- drawing ------------------------------------------------------------------------------------------------------

class _Canvas:
    """fpdf2 plus what the report needs: text in runs of the font that has each character, wrapping, faux bold."""

    def __init__(self, pdf: FPDF, fonts: FontSet) -> None:
        self.pdf = pdf
        self.fonts = fonts
        self._family: dict[str, str] = {}  # char → the font family that draws it
        self._advance = _Advances(self)  # char → advance in 1/1000 em (looked up in C by map())
        self.y = MARGIN

    def _char(self, c: str) -> tuple[str, float]:
        fam = self._family.get(c)
        if fam is None:
            fam = self._family[c] = self.fonts.family_of(ord(c)) or PRIMARY
            self.fonts.install(self.pdf, fam)  # a fallback font joins the document when first needed
        return fam, self.fonts.template(fam).widths[ord(c)]

    def _runs(self, text: str) -> list[tuple[str, str]]:
        families = self._family
        first = families.get(text[0]) or self._char(text[0])[0]
        if first == PRIMARY and all(families.get(c) == PRIMARY or self._char(c)[0] == PRIMARY for c in text):
            return [(PRIMARY, text)]  # nearly every string
        runs: list[tuple[str, str]] = []
        for c in text:
            fam = self._char(c)[0]
            if runs and runs[-1][0] == fam:
                runs[-1] = (fam, runs[-1][1] + c)
            else:
                runs.append((fam, c))
        return runs

    def width(self, text: str, size: float) -> float:
        return sum(map(self._advance.__getitem__, text)) * size / 1000 * PT

    def text(self, x: float, y: float, text: str, size: float, color: tuple[int, int, int] = INK, *,
             bold: bool = False, align: str = "L") -> float:
        """Draw one line with its baseline at y; returns its width. Bold is the regular face filled and stroked
        (one font file instead of two, so no second set of glyphs in the PDF)."""
        if not text:
            return 0.0
        w = self.width(text, size)
        if align == "R":
            x -= w
        elif align == "C":
            x -= w / 2
        pdf = self.pdf
        pdf.set_text_color(*color)
        if bold:
            with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=size * 0.028 * PT, draw_color=color):
                self._draw_runs(x, y, text, size)
        else:
            self._draw_runs(x, y, text, size)
        return w

    def _draw_runs(self, x: float, y: float, text: str, size: float) -> None:
        pdf = self.pdf
        runs = self._runs(text)
        for fam, run in runs:
            pdf.set_font(fam, size=size)
            pdf.text(x, y, run)
            if len(runs) > 1:
                x += self.width(run, size)

    def fit(self, text: str, width: float, size: float) -> str:
        if self.width(text, size) <= width:
            return text
        limit = width / (size / 1000 * PT) - self._advance[ELLIPSIS]
        used = 0.0
        for i, c in enumerate(text):
            used += self._advance[c]
            if used > limit:
                return text[:i] + ELLIPSIS
        return text

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """Greedy line breaking for Chinese (a break may fall between any two characters, closing punctuation never
        starts a line) that keeps a Latin word whole when it can."""
        limit = width / (size / 1000 * PT)
        lines: list[str] = []
        for para in text.split("\n"):
            line, used = "", 0.0
            for c in para:
                cw = self._advance[c]
                if used + cw <= limit or not line or c in CLOSING:
                    line += c
                    used += cw
                    continue
                cut = line.rfind(" ")
                if c.isascii() and c.isalnum() and cut > 0 and len(line) - cut < 16:
                    lines.append(line[:cut])
                    line = line[cut + 1:] + c
                else:
                    lines.append(line)
                    line = c if c != " " else ""
                used = self.width(line, 1000 / PT)
            lines.append(line)
        return lines

    def paragraph(self, x: float, text: str, width: float, size: float, color: tuple[int, int, int] = INK,
                  leading: float = 1.45) -> None:
        step = size * leading * PT
        for line in self.wrap(text, width, size):
            self.ensure(step)
            self.text(x, self.y + size * PT, line, size, color)
            self.y += step

    def ensure(self, height: float) -> None:
        if self.y + height > FOOTER_TOP:
            self.pdf.add_page()
            self.y = MARGIN

    def section(self, title: str, keep: float = 16) -> None:
        """A section title, on a new page unless `keep` mm of its content fit below it."""
        self.ensure(9 + keep)
        self.y += 4
        self.pdf.set_fill_color(*ACCENT)
        self.pdf.rect(MARGIN, self.y + 0.6, 1.2, 4.6, style="F")
        self.text(MARGIN + 3.5, self.y + 4.6, title, 12.5, INK, bold=True)
        self.y += 9


class _Advances(dict):
    """char → advance width (1/1000 em) of the font that draws it, filled on first use."""

    def __init__(self, canvas: _Canvas) -> None:
        super().__init__()
        self._canvas = canvas

    def __missing__(self, c: str) -> float:
        value = self[c] = self._canvas._char(c)[1]
        return value


def _qr_png(url: str) -> bytes:
    """The QR code of `url` as a 1-bit PNG, 4 pixels a module (sharp when scaled; ~350 bytes). One image object serves
    every page (fpdf2 embeds an image once however often it is placed)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=4, border=0)
    return out.getvalue()


def _footer(cv: _Canvas, page: int, pages: int, code: str, url: str, qr: bytes) -> None:
    pdf = cv.pdf
    top = PAGE_H - 26.0
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, top - 2, PAGE_W - MARGIN, top - 2)
    side = 20.0
    pdf.image(io.BytesIO(qr), x=PAGE_W - MARGIN - side, y=top, w=side, h=side)
    cv.text(MARGIN, top + 5, f"验证码 {display_code(code)}", 11, INK, bold=True)
    cv.text(MARGIN, top + 10.5, "扫码或访问以下地址，验证本报告真伪：", 8, MUTED)
    cv.text(MARGIN, top + 15, cv.fit(url, CONTENT_W - side - 6, 8), 8, ACCENT)
    cv.text(MARGIN, top + 20.5, f"CodeLink 月度成长报告 · 第 {page} / {pages} 页", 7.5, MUTED)


def _header(cv: _Canvas, d: ReportData, v: _View) -> None:
    pdf = cv.pdf
    pdf.set_fill_color(*HEADER_BG)
    pdf.rect(0, 0, PAGE_W, 36, style="F")
    cv.text(MARGIN, 13, "CodeLink 月度成长报告", 19, WHITE, bold=True)
    cv.text(MARGIN, 22, v.subtitle, 10.5, ACCENT_LIGHT)
    who = f"{v.name} · 开发者 #{d.developer.id}" + (f" · {v.title}" if v.title else "")
    cv.text(MARGIN, 29.5, who, 10.5, WHITE)
    # the level badge, right
    cx, cy = PAGE_W - MARGIN - 12, 18
    pdf.set_fill_color(*WHITE)
    pdf.ellipse(cx - 11, cy - 11, 22, 22, style="F")
    cv.text(cx, cy + 4, d.level.current, 18, HEADER_BG, bold=True, align="C")
    cv.text(cx, cy + 17, "当前等级", 7.5, ACCENT_LIGHT, align="C")
    cv.y = 44


def _tiles(cv: _Canvas, d: ReportData) -> None:
    avg = d.ratings.average_x100
    tiles = (("完成任务", f"{len(d.tasks)}", "个"),
             ("净收入", yuan(d.earnings.net_fen), f"佣金 {yuan(d.earnings.commission_fen)}"),
             ("平均评分", stars(avg) if avg is not None else "暂无评价",
              f"{d.ratings.count} 次评价" if d.ratings.count else ""),
             ("技能积分", f"+{sum(s.points_month for s in d.skills)}", ""))
    gap = 4.0
    w = (CONTENT_W - 3 * gap) / 4
    pdf = cv.pdf
    for i, (label, value, note) in enumerate(tiles):
        x = MARGIN + i * (w + gap)
        pdf.set_fill_color(244, 247, 252)
        pdf.rect(x, cv.y, w, 22, style="F")
        cv.text(x + 3, cv.y + 6, label, 8.5, MUTED)
        cv.text(x + 3, cv.y + 14.5, cv.fit(value, w - 6, 15), 15, INK, bold=True)
        cv.text(x + 3, cv.y + 19.5, note, 7.5, MUTED)
    cv.y += 28


def _level(cv: _Canvas, d: ReportData, v: _View) -> None:
    cv.section("等级进度")
    lv = d.level
    if lv.next is None:
        cv.text(MARGIN, cv.y + 4, f"当前等级 {lv.current} · 已是最高等级", 10, INK)
        cv.y += 8
        return
    head = f"当前等级 {lv.current} → 下一级 {lv.next}"
    if lv.previous and lv.previous != lv.current:
        head += f"（本月由 {lv.previous} 升至 {lv.current}）"
    cv.text(MARGIN, cv.y + 4, head, 10, INK)
    cv.y += 8
    pdf = cv.pdf
    for label, current, required, text in v.requirements:
        cv.ensure(7)
        cv.text(MARGIN, cv.y + 3.6, label, 9, INK)
        x, w = MARGIN + 24, 70.0
        pdf.set_fill_color(233, 236, 239)
        pdf.rect(x, cv.y + 1, w, 3.2, style="F")
        share = 1.0 if required <= 0 else min(1.0, current / required)
        if share > 0:
            pdf.set_fill_color(*(ACCENT if share < 1 else PALETTE[2]))
            pdf.rect(x, cv.y + 1, w * share, 3.2, style="F")
        cv.text(x + w + 4, cv.y + 3.6, text, 8.5, MUTED)
        cv.y += 6.5


def _radar(cv: _Canvas, v: _View, cx: float, cy: float, r: float) -> None:
    pdf = cv.pdf
    n = len(v.skills)
    top = max(max(s[1] for s in v.skills), 1)

    def point(i: int, frac: float) -> tuple[float, float]:
        a = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * frac * math.cos(a), cy + r * frac * math.sin(a)

    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    for ring in (0.25, 0.5, 0.75, 1.0):
        pdf.polygon([point(i, ring) for i in range(n)], style="D")
    for i in range(n):
        x, y = point(i, 1.0)
        pdf.line(cx, cy, x, y)
    before = [point(i, max(0, s[1] - s[2]) / top) for i, s in enumerate(v.skills)]
    after = [point(i, s[1] / top) for i, s in enumerate(v.skills)]
    pdf.set_fill_color(*ACCENT_LIGHT)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.5)
    pdf.polygon(after, style="DF")
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.3)
    pdf.polygon(before, style="D")
    for i, (name, total, _month) in enumerate(v.skills):
        x, y = point(i, 1.18)
        align = "C" if abs(x - cx) < 2 else ("L" if x > cx else "R")
        cv.text(x, y + 1, name, 8, INK, align=align)
        cv.text(x, y + 4.6, str(total), 7, MUTED, align=align)
    # legend
    ly = cy + r + 10
    pdf.set_fill_color(*ACCENT_LIGHT)
    pdf.set_draw_color(*ACCENT)
    pdf.rect(cx - 26, ly - 2.4, 3, 3, style="DF")
    cv.text(cx - 22, ly, "本月末", 7.5, MUTED)
    pdf.set_draw_color(*MUTED)
    pdf.rect(cx + 4, ly - 2.4, 3, 3, style="D")
    cv.text(cx + 8, ly, "上月末", 7.5, MUTED)


def _bars(cv: _Canvas, v: _View, x0: float, y0: float, w: float, h: float) -> None:
    pdf = cv.pdf
    totals = [sum(row) for row in v.bars]
    top = max(max(totals), 1)
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    pdf.line(x0, y0 + h, x0 + w, y0 + h)
    pdf.line(x0, y0, x0 + w, y0)
    cv.text(x0 - 1, y0 + 1.5, str(top), 7, MUTED, align="R")
    cv.text(x0 - 1, y0 + h, "0", 7, MUTED, align="R")
    slot = w / len(v.bars)
    bw = min(9.0, slot * 0.62)
    for i, row in enumerate(v.bars):
        x = x0 + i * slot + (slot - bw) / 2
        y = y0 + h
        for k, pts in enumerate(row):
            if pts <= 0:
                continue
            bh = h * pts / top
            pdf.set_fill_color(*PALETTE[k % len(PALETTE)])
            pdf.rect(x, y - bh, bw, bh, style="F")
            y -= bh
        cv.text(x + bw / 2, y0 + h + 4, _month_label(v.months[i]), 7, MUTED, align="C")
    # legend: the skills' colours
    lx, ly = x0, y0 + h + 10
    for k, (name, _total, _m) in enumerate(v.skills):
        pdf.set_fill_color(*PALETTE[k % len(PALETTE)])
        pdf.rect(lx, ly - 2.4, 3, 3, style="F")
        lx += 4 + cv.text(lx + 4, ly, name, 7.5, MUTED) + 4
        if lx > x0 + w - 18 and k < len(v.skills) - 1:
            lx, ly = x0, ly + 4.5


def _skills(cv: _Canvas, v: _View) -> None:
    cv.section("技能成长")
    if not v.skills:
        cv.text(MARGIN, cv.y + 4, "本月暂无技能积分", 10, MUTED)
        cv.y += 8
        return
    cv.ensure(80)
    top = cv.y
    cv.text(MARGIN, top + 3, "技能雷达（累计积分）", 9, MUTED)
    cv.text(MARGIN + 92, top + 3, "每月技能积分", 9, MUTED)
    if len(v.skills) >= 3:
        _radar(cv, v, MARGIN + 42, top + 36, 24)
    else:  # a radar needs three axes; two skills read better as the bars alone
        for i, (name, total, month) in enumerate(v.skills):
            cv.text(MARGIN, top + 12 + 6 * i, f"{name}  {total}（本月 +{month}）", 9, INK)
    if v.bars:
        _bars(cv, v, MARGIN + 100, top + 10, CONTENT_W - 102, 46)
    cv.y = top + 73


def _tasks(cv: _Canvas, d: ReportData, v: _View) -> None:
    cv.section("完成的任务")
    if not v.rows:
        cv.text(MARGIN, cv.y + 4, "本月没有完成的任务", 10, MUTED)
        cv.y += 8
        return
    cols = ((MARGIN, "日期"), (MARGIN + 14, "任务"), (MARGIN + 86, "商家"), (MARGIN + 119, "报酬"),
            (MARGIN + 155, "评分"))
    pdf = cv.pdf
    cv.ensure(8)
    for x, label in cols:
        cv.text(x, cv.y + 4, label, 8.5, MUTED)
    cv.y += 6
    for i, row in enumerate(v.rows):
        cv.ensure(6.2)
        if i % 2 == 0:
            pdf.set_fill_color(248, 249, 250)
            pdf.rect(MARGIN, cv.y, CONTENT_W, 6.2, style="F")
        base = cv.y + 4.3
        cv.text(cols[0][0], base, row.date, 8.5, MUTED)
        cv.text(cols[1][0], base, cv.fit(row.title, 70, 9), 9, INK)
        cv.text(cols[2][0], base, cv.fit(row.merchant, 31, 9), 9, INK)
        cv.text(cols[3][0], base, row.reward, 8.5 if len(row.reward) > 12 else 9, INK)
        if row.rating:
            cv.text(cols[4][0], base, "★" * row.rating + "☆" * (5 - row.rating), 9, PALETTE[1])
        else:
            cv.text(cols[4][0], base, "暂无评价", 8.5, MUTED)
        cv.y += 6.2
    if v.more_tasks:
        cv.text(MARGIN, cv.y + 4.5, v.more_tasks, 8.5, MUTED)
        cv.y += 7
    e = d.earnings
    line = f"合计报酬 {yuan(e.reward_fen)} · 佣金 {yuan(e.commission_fen)}"
    if e.bonus_fen:
        line += f" · 奖金 {yuan(e.bonus_fen)}"
    line += f" · 净收入 {yuan(e.net_fen)}"
    cv.text(MARGIN, cv.y + 5, line, 9, INK, bold=True)
    cv.y += 8


def _comments(cv: _Canvas, v: _View) -> None:
    if not v.comments:
        return
    cv.section("商家评价")
    for header, text in v.comments:
        cv.ensure(12)
        cv.text(MARGIN, cv.y + 3.5, header, 8.5, PALETTE[1])
        cv.y += 5
        cv.paragraph(MARGIN + 2, text, CONTENT_W - 4, 9.5)
        cv.y += 1.5


def _badges(cv: _Canvas, v: _View) -> None:
    cv.section("徽章与称号", keep=18)
    pdf = cv.pdf
    if v.title:
        cv.text(MARGIN, cv.y + 4, f"称号：{v.title}", 10, INK, bold=True)
        cv.y += 7
    if not v.badges:
        cv.text(MARGIN, cv.y + 4, "本月暂无徽章", 9, MUTED)
        cv.y += 7
        return
    x = MARGIN
    cv.ensure(8)
    for name, new in v.badges:
        label = name + (" 新" if new else "")
        w = cv.width(label, 9) + 6
        if x + w > PAGE_W - MARGIN:
            x = MARGIN
            cv.y += 8
            cv.ensure(8)
        pdf.set_fill_color(*(ACCENT_LIGHT if new else (241, 243, 245)))
        pdf.rect(x, cv.y, w, 6, style="F", round_corners=True, corner_radius=1.5)
        cv.text(x + 3, cv.y + 4.2, label, 9, INK)
        x += w + 3
    cv.y += 9


def _challenges(cv: _Canvas, v: _View) -> None:
    if not v.challenges:
        return
    cv.section("挑战")
    for name, status, points, reward in v.challenges:
        cv.ensure(6)
        cv.text(MARGIN, cv.y + 4, name, 9.5, INK)
        color = PALETTE[2] if status == "已完成" else (MUTED if status == "未完成" else ACCENT)
        cv.text(MARGIN + 70, cv.y + 4, status, 9, color)
        cv.text(MARGIN + 92, cv.y + 4, points, 9, INK)
        cv.text(MARGIN + 110, cv.y + 4, reward, 9, MUTED)
        cv.y += 6


def _letters(cv: _Canvas, v: _View) -> None:
    if not v.letters:
        return
    cv.section("导师推荐信")
    for head, text in v.letters:
        cv.ensure(14)
        cv.text(MARGIN, cv.y + 3.5, head, 8.5, MUTED)
        cv.y += 5
        cv.paragraph(MARGIN + 2, text, CONTENT_W - 4, 9.5)
        cv.y += 2


def _suggestions_height(cv: _Canvas, v: _View) -> float:
    """The height `_suggestions` will take, in mm (to place them on page 1 when they fit there)."""
    h = 13.0  # the section title and the gap above it
    for text, basis in v.suggestions:
        h += len(cv.wrap(text, CONTENT_W - 5, 9.5)) * 9.5 * 1.45 * PT
        h += len(cv.wrap(f"依据：{basis}", CONTENT_W - 5, 7.5)) * 7.5 * 1.45 * PT + 1.5
    return h


def _suggestions(cv: _Canvas, v: _View) -> None:
    if not v.suggestions:
        return
    cv.section("成长建议")
    for i, (text, basis) in enumerate(v.suggestions, start=1):
        cv.ensure(12)
        cv.text(MARGIN, cv.y + 9.5 * PT, f"{i}.", 9.5, ACCENT, bold=True)
        cv.paragraph(MARGIN + 5, text, CONTENT_W - 5, 9.5)
        cv.paragraph(MARGIN + 5, f"依据：{basis}", CONTENT_W - 5, 7.5, MUTED)
        cv.y += 1.5


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    pages: int
    glyph_bytes: int  # raw outline bytes of the distinct characters embedded
    trimmed: int  # strings shortened to stay within the limits
    fonts: tuple[str, ...]


def render(data: ReportData, *, code: str, verify_url: str, glyph_budget: int = GLYPH_BUDGET_BYTES) -> RenderResult:
    fonts = get_fonts()
    budget = _Budget(fonts, glyph_budget)
    view = _view(data, budget)
    url = budget.take(verify_url, 200)
    budget.charge(display_code(code))

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_compression(True)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_creation_date(datetime.combine(data.as_of, time(0), tzinfo=SHANGHAI))
    pdf.set_lang("zh-CN")
    pdf.set_title(f"CodeLink 月度成长报告 {data.month}")
    pdf.set_author("CodeLink")
    pdf.set_subject(f"verification code {code}")
    pdf.set_creator("CodeLink")
    fonts.install(pdf, PRIMARY)
    cv = _Canvas(pdf, fonts)

    pdf.add_page()
    _header(cv, data, view)
    _tiles(cv, data)
    _level(cv, data, view)
    _skills(cv, view)
    # the suggestions are the month's takeaway: on page 1 when they fit below the charts, else last
    on_first_page = cv.y + _suggestions_height(cv, view) <= FOOTER_TOP
    if on_first_page:
        _suggestions(cv, view)
    pdf.add_page()
    cv.y = MARGIN
    _tasks(cv, data, view)
    _comments(cv, view)
    _badges(cv, view)
    _challenges(cv, view)
    _letters(cv, view)
    if not on_first_page:
        _suggestions(cv, view)

    qr = _qr_png(verify_url)
    pages = pdf.pages_count
    for page in range(1, pages + 1):
        pdf.page = page
        _footer(cv, page, pages, code, url, qr)
    pdf.page = pages
    fonts.finish(pdf)
    out = bytes(pdf.output())
    missing = [f.fontkey for f in pdf.fonts.values() if getattr(f, "missing_glyphs", None)]
    if missing:  # a bug in sanitize/plan, never the data's fault: fail loudly rather than ship boxes
        raise RuntimeError(f"report drew characters its fonts lack ({', '.join(missing)})")
    return RenderResult(pdf=out, pages=pages, glyph_bytes=budget.spent, trimmed=budget.trimmed,
                        fonts=tuple(pdf.fonts))


def render_report(data: ReportData, *, code: str, verify_url: str) -> bytes:
    """The report's PDF bytes; `code` is the verification code (signing.Seal.code), `verify_url` where it checks."""
    return render(data, code=code, verify_url=verify_url).pdf
