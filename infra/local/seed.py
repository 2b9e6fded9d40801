"""Demo data for `make dev`: a few merchants and developers and a hundred tasks, created through the real API (so
the data obeys every rule: content checks, review, escrow funding) — never written behind the domain's back."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone

from infra.local.client import Actor, LocalClient

log = logging.getLogger("codelink.seed")

ADMIN_PHONE = "13800000000"
MERCHANTS = [("星火科技", "小程序外包团队"), ("蓝鲸数据", "数据服务创业公司"), ("青木工作室", "独立游戏与工具")]
DEVELOPERS = [
    ("阿杰", "Python 后端", ["python", "postgresql", "docker"]), ("小林", "前端工程师", ["vue", "typescript", "css"]),
    ("老王", "全栈", ["nodejs", "react", "mysql"]), ("Mia", "移动端", ["flutter", "android", "ios"]),
    ("阿强", "数据工程", ["sql", "spark", "etl"]), ("Yuki", "小程序", ["miniprogram", "taro", "javascript"]),
    ("大鹏", "运维", ["linux", "kubernetes", "ci-cd"]), ("晓雨", "AI 应用", ["python", "llm", "machine-learning"]),
]
TOPICS = [
    ("小程序商城首页改版", ["miniprogram", "taro"]), ("订单导出 Excel 接口", ["python", "postgresql"]),
    ("数据看板前端", ["vue", "typescript"]), ("爬取公开招标信息", ["crawler", "python"]),
    ("Flutter 打卡 App", ["flutter"]), ("K8s 集群监控告警", ["kubernetes", "linux"]),
    ("React 后台表格组件", ["react", "typescript"]), ("Spark 日志清洗任务", ["spark", "etl"]),
    ("客服机器人接入大模型", ["llm", "python"]), ("Go 短链服务", ["go", "redis"]),
]


def already_seeded(client: LocalClient) -> bool:
    return bool(client.call("GET", "/tasks", query={"limit": 1}).body.get("items"))


def seed(client: LocalClient, *, tasks: int = 100, rng_seed: int = 7) -> dict[str, int]:
    from shared.auth.service import make_admin
    from shared.uow import run

    rng = random.Random(rng_seed)
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    admin = client.sms_login(ADMIN_PHONE)
    merchants: list[Actor] = []
    for name, desc in MERCHANTS:
        m = client.wx_login(f"merchant-{name}")
        client.expect(200, "PUT", "/profiles/merchant", {"name": name, "company": name, "description": desc}, m.token)
        merchants.append(m)
    for name, headline, skills in DEVELOPERS:
        d = client.wx_login(f"dev-{name}")
        client.expect(200, "PUT", "/profiles/developer", {
            "display_name": name, "headline": headline, "bio": f"{headline}，乐于接兼职。", "skills": skills,
            "years_experience": rng.randint(1, 10), "city": rng.choice(["北京", "上海", "深圳", "杭州", "成都"]),
        }, d.token)
    opened = 0
    now = datetime.now(timezone.utc)
    for i in range(tasks):
        merchant = merchants[i % len(merchants)]
        title, tags = TOPICS[i % len(TOPICS)]
        body = {
            "title": f"{title} #{i + 1}", "skill_tags": tags, "difficulty": rng.randint(1, 5),
            "description": f"{title}：需求文档已准备好，预计工作量 {rng.randint(2, 20)} 小时，验收标准明确。",
            "reward_fen": rng.choice([5_000, 20_000, 50_000, 80_000, 150_000, 300_000]),
            "deadline": (now + timedelta(days=rng.randint(3, 45))).isoformat(),
        }
        task = client.expect(201, "POST", "/tasks", body, merchant.token).body
        if task["status"] == "pending_review":
            task = client.expect(200, "POST", f"/admin/tasks/{task['id']}/approve", {}, admin.token).body
        if task["status"] == "awaiting_funding":
            fund_task(client, merchant, task["id"])
        opened += 1
    return {"merchants": len(merchants), "developers": len(DEVELOPERS), "tasks": opened}


def fund_task(client: LocalClient, merchant: Actor, task_id: int) -> None:
    """Pay the escrow as the merchant would in the mini-program, then wait for WeChat Pay's notification."""
    order = client.expect(200, "POST", f"/payments/tasks/{task_id}/fund", {}, merchant.token).body
    client.pay(order["out_trade_no"])
    client.wait_for(lambda: client.call("GET", f"/tasks/{task_id}", token=merchant.token).body["status"] == "open",
                    f"task {task_id} to open after payment")
