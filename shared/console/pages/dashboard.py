"""The business dashboard: the metrics area's aggregates (shared/metrics) against the business plan's three stages.
Charts are ECharts options built here and drawn by static/console.js; the retention cohorts are a table."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared import clock
from shared.console import web
from shared.metrics import queries
from shared.metrics.rules import STAGES
from shared.uow import run

web.nav("dashboard", "经营看板", "", order=10)

SOURCE_NAMES = {"commission": "佣金", "promotion": "置顶推荐", "subscription:enterprise": "企业会员",
                "subscription:growth": "成长通行证", "subscription:premium": "高级会员"}


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)  # chart coordinates only; every number shown as text is formatted from fen


def _axis(labels: list[str]) -> dict[str, Any]:
    return {"type": "category", "data": labels, "axisTick": {"alignWithLabel": True}}


def _base(title: str) -> dict[str, Any]:
    return {"title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}}, "tooltip": {"trigger": "axis"},
            "legend": {"top": 26, "left": 0}, "grid": {"left": 64, "right": 40, "top": 72, "bottom": 28},
            "animation": False}


def _target_line(name: str, value: float) -> dict[str, Any]:
    return {"symbol": "none", "silent": True, "lineStyle": {"type": "dashed", "color": "#d9534f"},
            "label": {"formatter": name, "position": "insideEndTop"}, "data": [{"yAxis": value}]}


def charts(d: queries.Dashboard) -> dict[str, dict[str, Any]]:
    months = [m.strftime("%Y-%m") for m in d.months]
    days = [x.strftime("%m-%d") for x in d.days]
    weeks = [w.strftime("%m-%d") for w in d.weeks]
    target = d.stage.next or STAGES[-1]
    # The axes reach the next stage's target, so the dashed target line is always on the chart: how far away it is
    # is the point.
    users = _base("累计注册用户（月末）") | {
        "xAxis": _axis(months),
        "yAxis": {"type": "value", "minInterval": 1, "max": max([target.users, *d.users_cumulative])},
        "series": [{"name": "累计用户", "type": "line", "data": d.users_cumulative, "areaStyle": {"opacity": 0.08},
                    "markLine": _target_line(f"{target.name}目标 {target.users:,} 人", target.users)}]}
    top = max([target.revenue_fen, *d.monthly["revenue"]])
    revenue = _base("平台月收入（按来源，元）") | {
        "xAxis": _axis(months), "yAxis": {"type": "value", "max": _yuan(top)},
        "series": [{"name": SOURCE_NAMES[s], "type": "bar", "stack": "revenue",
                    "data": [_yuan(v) for v in d.monthly[f"revenue:{s}"]]} for s in SOURCE_NAMES]}
    revenue["series"][0]["markLine"] = _target_line(f"{target.name}目标 ¥{target.revenue_fen // 100:,}/月",
                                                    _yuan(target.revenue_fen))
    active = _base("日活跃与新注册（近 30 天）") | {
        "xAxis": _axis(days), "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": "日活跃用户", "type": "line", "data": d.daily["dau"]},
                   {"name": "新注册", "type": "bar", "data": d.daily["registrations"]}]}
    tasks = _base("任务（近 30 天）") | {
        "xAxis": _axis(days), "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": "发布", "type": "bar", "data": d.daily["tasks_published"]},
                   {"name": "托管", "type": "bar", "data": d.daily["tasks_funded"]},
                   {"name": "完成", "type": "bar", "data": d.daily["tasks_completed"]}]}
    weekly = _base("周活跃用户（近 12 周，周一起）") | {
        "xAxis": _axis(weeks), "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": "周活跃用户", "type": "bar", "data": d.weekly["wau"]},
                   {"name": "新注册", "type": "line", "data": d.weekly["registrations"]}]}

    def pct(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(v * 100, 1) for v in values]

    quality = _base("GMV 与服务质量（月）") | {
        "xAxis": _axis(months),
        "yAxis": [{"type": "value"}, {"type": "value", "max": 100, "min": 0, "axisLabel": {"formatter": "{value}%"}}],
        "series": [{"name": "GMV", "type": "bar", "data": [_yuan(v) for v in d.monthly["gmv"]]},
                   {"name": "48 小时响应率", "type": "line", "yAxisIndex": 1, "data": pct(d.response_rate),
                    "connectNulls": True},
                   {"name": "纠纷率", "type": "line", "yAxisIndex": 1, "data": pct(d.dispute_rate),
                    "connectNulls": True}]}
    return {"users": users, "revenue": revenue, "active": active, "tasks": tasks, "weekly": weekly,
            "quality": quality}


def stage_rows(d: queries.Dashboard) -> list[dict[str, Any]]:
    rows = []
    for i, stage in enumerate(STAGES):
        state = "已达成" if i < d.stage.reached else "进行中" if i == d.stage.reached else "未开始"
        rows.append({"name": stage.name, "users": stage.users, "revenue_fen": stage.revenue_fen, "state": state,
                     "users_progress": min(d.stage.users / stage.users, 1.0),
                     "revenue_progress": min(max(d.stage.revenue_fen, 0) / stage.revenue_fen, 1.0)})
    return rows


def today() -> date:
    return clock.shanghai_date(clock.now())


@web.get("", nav="dashboard")
def dashboard(page: web.Page) -> web.Answer:
    """经营看板"""
    d = run(lambda uow: queries.dashboard(uow, today()))
    return web.html(page, "dashboard.html", d=d, charts=charts(d), stages=stage_rows(d), sources=SOURCE_NAMES)


@web.get("/", nav="dashboard")
def dashboard_slash(page: web.Page) -> web.Answer:
    """经营看板"""
    return web.redirect(web.BASE)
