"""Report data for tests and the benchmark: a busy month and a quiet one, realistic Chinese text, fixed numbers."""

from __future__ import annotations

import itertools
import random
from datetime import date

from shared.reports.model import (
    Badge,
    ChallengeResult,
    CompletedTask,
    Developer,
    Earnings,
    LevelProgress,
    MentorLetter,
    MonthPoints,
    PreviousMonth,
    RatingSummary,
    ReportData,
    Requirement,
    SkillCategory,
)
from shared.reports.suggestions import finalize

TITLES = ("微信小程序商城首页改版", "Django 后台接口性能优化", "Vue3 管理后台权限模块", "数据报表自动导出脚本",
          "Flutter 打卡应用修复闪退", "Spring Boot 订单服务重构", "爬虫数据清洗与入库", "React 官网响应式适配",
          "MySQL 慢查询排查与索引优化", "Docker 部署与 CI 配置", "小程序支付回调对接", "Python 自动化测试用例补全",
          "Go 微服务日志采集", "Figma 设计稿还原为页面", "uni-app 多端发布", "Redis 缓存方案设计",
          "数据可视化大屏开发", "Node.js 接口网关限流", "Excel 批量处理工具", "企业微信机器人通知",
          "Kubernetes 集群迁移", "安卓原生相机模块", "PostgreSQL 数据迁移脚本", "电商库存同步服务")
MERCHANTS = ("杭州云栖科技", "深圳前海数码", "成都蓉城网络", "北京启明软件", "上海浦江信息", "广州珠江互动",
             "南京紫金数据", "武汉光谷创新")
COMMENTS = ("交付很准时，代码结构清晰，注释也很完整，沟通顺畅，下次还会合作。",
            "问题定位很快，给出了两种方案并说明利弊，最终性能提升明显。",
            "页面还原度高，细节处理到位，对需求变更响应也很及时。",
            "整体不错，个别边界情况需要我们提醒后才补上测试。",
            "文档写得很详细，部署步骤一看就懂，非常专业。",
            "比预期提前两天完成，主动补充了异常处理，点赞！",
            "沟通稍慢，但最终质量达标。",
            "接口设计合理，考虑了兼容旧版本，省了我们不少事。")
LETTER = ("在为期四周的导师特训中，{name}独立完成了订单服务的拆分与压测，能够清楚地解释每一个设计取舍，"
          "并在评审后迅速改进。他对代码质量有很高的要求，测试覆盖完整，文档清楚。我愿意推荐他承担中等规模的"
          "后端开发工作，相信他能在团队中快速发挥作用。")
SKILLS = (("backend", "后端"), ("frontend", "前端"), ("mobile", "移动端"), ("data", "数据"), ("devops", "运维"),
          ("design", "设计"))


def _months(end: str, n: int) -> list[str]:
    y, m = int(end[:4]), int(end[5:])
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def busy_month(month: str = "2026-10", *, developer_id: int = 1024, name: str = "李明轩", seed: int = 7,
               tasks: int = 20) -> ReportData:
    """A busy month: 20 completed tasks from 8 merchants, most rated with comments, six skill categories with a year
    of history, badges, challenges and two mentor letters — the size the ≤ 100 KB promise is measured on."""
    rnd = random.Random(seed)
    y, m = int(month[:4]), int(month[5:])
    done = []
    for i in range(tasks):
        reward = rnd.choice((30000, 50000, 80000, 120000, 200000, 350000))
        rating = rnd.choice((5, 5, 5, 4, 4, 3, None))
        done.append(CompletedTask(
            task_id=10_000 + i * 7, title=TITLES[i % len(TITLES)], merchant=MERCHANTS[rnd.randrange(len(MERCHANTS))],
            completed_on=date(y, m, 1 + (i * 29 // max(tasks, 1)) % 28), reward_fen=reward,
            earned_fen=reward * 85 // 100, rating=rating,
            comment=COMMENTS[rnd.randrange(len(COMMENTS))] if rating and rnd.random() < 0.8 else None,
            categories=(SKILLS[i % 4][0],)))
    rated = [t.rating for t in done if t.rating]
    stars = tuple(sum(1 for r in rated if r == s) for s in range(1, 6))
    reward_sum = sum(t.reward_fen for t in done)
    months = _months(month, 12)
    skills = []
    for k, (key, label) in enumerate(SKILLS):
        history = tuple(MonthPoints(month=mm, points=max(0, rnd.randrange(0, 60) - 10 * k)) for mm in months)
        skills.append(SkillCategory(key=key, name=label, points_total=sum(h.points for h in history) + 100 * (6 - k),
                                    points_month=history[-1].points, history=history))
    return finalize(ReportData(
        developer=Developer(id=developer_id, display_name=name),
        month=month, as_of=date(y, m, 28 if m == 2 else 30 if m in (4, 6, 9, 11) else 31),
        tasks=tuple(done),
        earnings=Earnings(reward_fen=reward_sum, commission_fen=reward_sum * 15 // 100,
                          net_fen=reward_sum - reward_sum * 15 // 100 + 20000, bonus_fen=20000),
        ratings=RatingSummary(count=len(rated), average_x100=sum(rated) * 100 // len(rated) if rated else None,
                              stars=stars),  # type: ignore[arg-type]
        skills=tuple(skills),
        level=LevelProgress(current="B", previous="C", next="A", xp=1840, requirements=(
            Requirement(key="completed_tasks", label="完成任务", current=24, required=10),
            Requirement(key="average_rating", label="平均评分", current=441, required=450, scale=100),
            Requirement(key="merchants", label="合作商家", current=8, required=3),
            Requirement(key="categories", label="技能方向", current=4, required=2))),
        title="稳定输出者",
        badges=(Badge(key="welcome", name="入驻见面礼", earned_on=date(y - 1, 11, 3)),
                Badge(key="applicant", name="求职者", earned_on=date(y - 1, 11, 20)),
                Badge(key="steady", name="稳定输出者", earned_on=date(y, m, 12), new_this_month=True),
                Badge(key="high_score", name="高分达人", earned_on=date(y, m, 25), new_this_month=True),
                Badge(key="challenger", name="挑战者", earned_on=date(y, m - 1 if m > 1 else 1, 2))),
        challenges=(ChallengeResult(key="weekly-40", name="每周成长挑战（第40周）", status="completed", points=50,
                                    reward="排行榜积分 + 抽奖资格", finished_on=date(y, m, 5)),
                    ChallengeResult(key="weekly-41", name="每周成长挑战（第41周）", status="completed", points=50,
                                    finished_on=date(y, m, 12)),
                    ChallengeResult(key="mentor-go", name="导师特训：Go 微服务", status="completed", points=300,
                                    reward="¥200 奖金 + 推荐信", finished_on=date(y, m, 20)),
                    ChallengeResult(key="weekly-44", name="每周成长挑战（第44周）", status="in_progress")),
        mentor_letters=(MentorLetter(mentor_name="王建国", challenge="导师特训：Go 微服务", written_on=date(y, m, 21),
                                     text=LETTER.format(name=name)),
                        MentorLetter(mentor_name="陈思远", written_on=date(y, m, 27),
                                     text="合作两个任务，需求理解准确，交付稳定，值得信赖。")),
        previous=PreviousMonth(tasks_completed=14, net_fen=reward_sum * 60 // 100, average_x100=452),
    ))


def quiet_month(month: str = "2026-10") -> ReportData:
    """A developer with nothing this month: no tasks, no ratings, no skills yet."""
    y, m = int(month[:4]), int(month[5:])
    return finalize(ReportData(
        developer=Developer(id=7, display_name="Alex Chen"), month=month, as_of=date(y, m, 15),
        earnings=Earnings(reward_fen=0, commission_fen=0, net_fen=0), ratings=RatingSummary(count=0),
        level=LevelProgress(current="C", next="B", requirements=(
            Requirement(key="completed_tasks", label="完成任务", current=0, required=3),
            Requirement(key="average_rating", label="平均评分", current=0, required=400, scale=100)))))


def worst_case() -> ReportData:
    """Every field at its documented maximum, written with the most expensive glyphs there are."""
    from shared.reports.fonts import get_fonts
    from tests.support.report_strategies import HANZI

    fonts = get_fonts()
    costly = sorted(HANZI, key=lambda c: (-fonts.cost(ord(c)), c))
    it = itertools.cycle(costly)

    def t(n: int) -> str:
        return "".join(next(it) for _ in range(n))

    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    return finalize(ReportData(
        developer=Developer(id=2**62, display_name=t(40)), month="2026-10", as_of=date(2026, 10, 31),
        tasks=tuple(CompletedTask(task_id=i, title=t(100), merchant=t(40), completed_on=date(2026, 10, 1 + i % 31),
                                  reward_fen=10**12, earned_fen=10**12, rating=1 + i % 5, comment=t(500),
                                  categories=tuple(t(24) for _ in range(8))) for i in range(500)),
        earnings=Earnings(reward_fen=10**12, commission_fen=10**12, net_fen=10**12, bonus_fen=10**12),
        ratings=RatingSummary(count=500, average_x100=300, stars=(100, 100, 100, 100, 100)),
        skills=tuple(SkillCategory(key=f"k{i}", name=t(12), points_total=10**9, points_month=10**9 - i,
                                   history=tuple(MonthPoints(month=m, points=10**9) for m in months))
                     for i in range(12)),
        level=LevelProgress(current="A", previous="B", next="S"), title=t(12),
        badges=tuple(Badge(key=f"b{i}", name=t(12), earned_on=date(2026, 10, 1), new_this_month=True)
                     for i in range(50)),
        challenges=tuple(ChallengeResult(key=f"c{i}", name=t(24), status="in_progress", points=10**9, reward=t(30))
                         for i in range(30)),
        mentor_letters=tuple(MentorLetter(mentor_name=t(30), challenge=t(40), written_on=date(2026, 10, 2),
                                          text=t(2000)) for _ in range(10)),
    ))
