"""Server-rendered HTML of the public pages: the report verify page and the resume card. Plain strings with every
value escaped; mobile first (one column, 16 px base, viewport meta), Chinese, no script. Pure: data in, bytes out."""

from __future__ import annotations

from html import escape

from shared.http.router import Response
from shared.reports.cards import CardPage
from shared.reports.signing import display_code
from shared.reports.verify import GENUINE, MALFORMED, NOT_GENUINE, UNKNOWN, Verdict

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https: http:; form-action 'self'"

STYLE = """
body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2328;
background:#f6f8fa}main{max-width:560px;margin:0 auto;padding:16px}h1{font-size:22px;margin:8px 0 12px}
h2{font-size:17px;margin:20px 0 8px}.card{background:#fff;border-radius:12px;padding:16px;margin:12px 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}.ok{border-left:6px solid #1a7f37}.bad{border-left:6px solid #cf222e}
.unknown{border-left:6px solid #9a6700}.verdict{font-size:20px;font-weight:700}.muted{color:#656d76;font-size:14px}
table{width:100%;border-collapse:collapse}td{padding:4px 0;vertical-align:top}td:last-child{text-align:right}
input,button{font:inherit;padding:10px;border-radius:8px;border:1px solid #d0d7de;box-sizing:border-box;width:100%}
button{background:#1f6feb;color:#fff;border:0;margin-top:8px}.tag{display:inline-block;background:#ddf4ff;
border-radius:12px;padding:2px 10px;margin:2px;font-size:14px}.bar{background:#eaeef2;border-radius:4px;height:8px}
.bar i{display:block;background:#1f6feb;height:8px;border-radius:4px}blockquote{margin:8px 0;padding-left:12px;
border-left:3px solid #d0d7de;color:#424a53}
"""


def html_response(body: str, status: int = 200) -> Response:
    return Response(status, raw=body.encode("utf-8"), headers={
        "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": CSP,
        "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"})


def _doc(title: str, body: str, meta: str = "") -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title>{meta}<style>{STYLE}</style></head><body><main>{body}</main></body></html>")


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


# --------------------------------------------------------------------------------------------------- verify

VERDICT_TEXT = {
    GENUINE: ("ok", "✔ 真实有效", "这份成长报告由 CodeLink 签发，内容未被改动。"),
    NOT_GENUINE: ("bad", "✘ 不是真实报告", "这份文件或记录与 CodeLink 签发的报告不一致：可能被修改过。"),
    UNKNOWN: ("unknown", "？ 未找到该报告", "没有与这个验证码对应的报告，请核对验证码。"),
    MALFORMED: ("unknown", "？ 验证码格式有误", "验证码为 11 位（如 ABCD-EFGH-JKM），请检查是否输错。"),
}


def verify_form(action: str = "/verify") -> str:
    return (f'<div class="card"><h2>输入验证码</h2><form method="get" action="{escape(action)}">'
            '<input name="code" placeholder="ABCD-EFGH-JKM" maxlength="20" autocomplete="off" required>'
            '<button type="submit">验证</button></form></div>'
            f'<div class="card"><h2>或上传报告 PDF</h2><form method="post" action="{escape(action)}"'
            ' enctype="multipart/form-data"><input type="file" name="pdf" accept="application/pdf" required>'
            '<button type="submit">上传并验证</button></form>'
            '<p class="muted">只比对文件的 SHA-256 指纹，文件不会被保存。</p></div>')


def verify_page(verdict: Verdict | None, *, action: str = "/verify") -> str:
    parts = ["<h1>CodeLink 成长报告验证</h1>"]
    if verdict is not None:
        css, head, text = VERDICT_TEXT[verdict.status]
        code = f'<p class="muted">验证码 {escape(display_code(verdict.code))}</p>' if verdict.code else ""
        parts.append(f'<div class="card {css}"><div class="verdict" data-verdict="{verdict.status}">{head}</div>'
                     f"<p>{text}</p>{code}")
        if verdict.superseded:
            parts.append('<p class="muted">该月份之后又签发了更新的版本；这一版本仍是真实的历史记录。</p>')
        parts.append("</div>")
        if verdict.report is not None:
            parts.append(summary(verdict))
    parts.append(verify_form(action))
    return _doc("成长报告验证 · CodeLink", "".join(parts))


def summary(verdict: Verdict) -> str:
    r = verdict.report
    assert r is not None
    rating = f"{r.ratings.average_x100 / 100:.2f}（{r.ratings.count} 次评价）" if r.ratings.average_x100 else "暂无评价"
    rows = [("开发者", f"{r.developer.display_name}（ID {r.developer.id}）"), ("月份", r.month),
            ("数据截至", r.as_of.isoformat()), ("版本", str(verdict.version)), ("等级", r.level.current),
            ("完成任务", f"{len(r.tasks)} 个"), ("到手收入", _yuan(r.earnings.net_fen)), ("平均评分", rating),
            ("本月技能分", str(sum(s.points_month for s in r.skills)))]
    if r.title:
        rows.append(("称号", r.title))
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    skills = "".join(f'<span class="tag">{escape(s.name)} {s.points_total}</span>' for s in r.skills)
    return (f'<div class="card"><h2>报告摘要</h2><table>{body}</table>'
            + (f"<h2>技能</h2><p>{skills}</p>" if skills else "") + "</div>")


# --------------------------------------------------------------------------------------------------- card

FIELD_LABELS = {"city": "城市", "years_experience": "工作年限"}


def card_page(card: CardPage, *, url: str, image: str | None = None) -> str:
    p = card.profile
    name = p.display_name or f"开发者 {p.user_id}"
    description = p.headline or "CodeLink 开发者简历卡片"
    meta = (f'<meta property="og:type" content="profile"><meta property="og:title" content="{escape(name)} · 简历卡片">'
            f'<meta property="og:description" content="{escape(description)}">'
            f'<meta property="og:url" content="{escape(url)}"><meta property="og:locale" content="zh_CN">'
            f'<meta name="description" content="{escape(description)}">'
            + (f'<meta property="og:image" content="{escape(image)}">' if image else ""))
    parts = [f'<div class="card"><h1>{escape(name)}</h1>']
    if p.headline:
        parts.append(f"<p>{escape(p.headline)}</p>")
    facts = []
    if card.level:
        facts.append(f"等级 {escape(card.level)}")
    if card.title:
        facts.append(f"称号「{escape(card.title)}」")
    if p.city:
        facts.append(escape(p.city))
    if p.years_experience is not None:
        facts.append(f"{p.years_experience} 年经验")
    if p.rating_average is not None:
        facts.append(f"评分 {p.rating_average:.2f}（{p.rating_count} 次）")
    if p.completed_tasks is not None:
        facts.append(f"完成 {p.completed_tasks} 个任务")
    if facts:
        parts.append(f'<p class="muted">{" · ".join(facts)}</p>')
    if p.bio:
        parts.append(f"<p>{escape(p.bio)}</p>")
    parts.append("</div>")
    if p.skills:
        parts.append('<div class="card"><h2>技能</h2><p>'
                     + "".join(f'<span class="tag">{escape(s.name)}</span>' for s in p.skills) + "</p></div>")
    if card.categories:
        top = max(points for _, points in card.categories) or 1
        bars = "".join(f'<tr><td>{escape(n)}</td><td>{pts}</td></tr><tr><td colspan="2"><div class="bar">'
                       f'<i style="width:{max(3, pts * 100 // top)}%"></i></div></td></tr>'
                       for n, pts in card.categories)
        parts.append(f'<div class="card" id="growth"><h2>技能图谱</h2><table>{bars}</table></div>')
    if card.badges:
        parts.append('<div class="card" id="badges"><h2>徽章</h2><p>'
                     + "".join(f'<span class="tag">{escape(b)}</span>' for b in card.badges) + "</p></div>")
    if card.rated_work:
        items = "".join(f'<p><b>{escape(w["title"])}</b> <span class="muted">{escape(w["merchant"])} · '
                        f'{"★" * int(w["stars"])}</span>'
                        + (f'<blockquote>{escape(w["comment"])}</blockquote>' if w["comment"] else "") + "</p>"
                        for w in card.rated_work)
        parts.append(f'<div class="card" id="rated-work"><h2>获评作品</h2>{items}</div>')
    if card.challenges:
        parts.append('<div class="card" id="challenges"><h2>完成的挑战</h2><p>'
                     + "".join(f'<span class="tag">{escape(c)}</span>' for c in card.challenges) + "</p></div>")
    if card.letters:
        items = "".join(f'<blockquote>{escape(letter["body"])}<br><span class="muted">— {escape(letter["mentor"])}'
                        f'（{escape(letter["challenge"])}）</span></blockquote>' for letter in card.letters)
        parts.append(f'<div class="card" id="letters"><h2>导师推荐信</h2>{items}</div>')
    if p.links:
        items = "".join(f'<p><a href="{escape(str(link.get("url", "")))}" rel="nofollow noopener">'
                        f'{escape(str(link.get("title", "")))}</a></p>' for link in p.links)
        parts.append(f'<div class="card"><h2>链接</h2>{items}</div>')
    parts.append('<p class="muted">由 CodeLink 生成 · 仅展示开发者选择公开的信息</p>')
    return _doc(f"{name} · 简历卡片", "".join(parts), meta)


def not_found_page(text: str) -> str:
    return _doc("未找到 · CodeLink", f'<div class="card unknown"><h1>未找到</h1><p>{escape(text)}</p></div>')


