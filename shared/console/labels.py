"""Chinese names for what the console shows: event types (timelines), audited actions, statuses, roles. A name
missing here shows as its code, so a new event or action is never hidden — add its name when you add it."""

from __future__ import annotations

from shared.tasks.rules import STATUS_NAMES

EVENTS = {
    "UserRegistered": "注册", "WeChatBound": "绑定微信", "PhoneBound": "绑定手机号",
    "DeveloperProfileSaved": "保存开发者资料", "MerchantProfileSaved": "保存商家资料",
    "ProfileCompleted": "简历卡片完善", "RealNameSet": "填写收款实名", "HallBrowsed": "浏览任务大厅",
    "TaskPublished": "发布任务", "TaskEdited": "修改任务", "TaskFlaggedForReview": "任务进入审核",
    "TaskApproved": "任务审核通过", "TaskOpened": "任务上架", "TaskAssigned": "选定开发者", "TaskClosed": "任务关闭",
    "DeliverySubmitted": "提交交付", "RevisionRequested": "要求修改", "TaskCompleted": "任务完成",
    "ApplicationSubmitted": "投递", "ApplicationWithdrawn": "撤回投递", "ApplicationAnswered": "回复投递",
    "ApplicationsClosed": "投递批量关闭", "ApplicationUnanswered": "48 小时未回复",
    "RatingGiven": "评价", "DisputeOpened": "发起纠纷", "DisputeRuled": "纠纷裁决",
    "PaymentOrderCreated": "创建支付订单", "PaymentOrderPaid": "支付成功", "EscrowFunded": "托管到账",
    "PromotionUnusable": "置顶推荐无法使用（退款）", "RefundRequested": "发起退款", "RefundSettled": "退款成功",
    "RefundFailed": "退款失败", "EscrowReturnedToBudget": "托管退回平台预算",
    "MerchantTransferReported": "微信转账结果通知", "EscrowReleased": "托管释放", "PayoutCreated": "创建打款",
    "PayoutStateChanged": "打款状态变化", "PayoutSettled": "打款到账", "PayoutFailed": "打款失败",
    "PayoutCancelled": "打款撤销", "WithdrawalRequested": "申请提现", "MembershipStarted": "开通会员",
    "MembershipExpired": "会员到期", "PromotionGranted": "置顶推荐生效", "ReconciliationRecorded": "对账",
    "XpGranted": "获得经验", "SkillPointsGranted": "获得技能点", "LevelChanged": "等级变化",
    "PointsGranted": "成长积分变动", "BadgeGranted": "获得徽章", "BadgeRevoked": "徽章撤销", "RankReached": "上榜",
    "CheckedIn": "签到", "ChallengeCompleted": "完成挑战", "PostPublished": "发布社区内容",
    "InvitationCredited": "邀请成功", "MentorReviewGiven": "导师点评", "OffPlatformContactFlagged": "站外联系标记",
    "PostModerated": "社区帖子处理",
    "UserBanned": "账号停用", "UserUnbanned": "账号恢复", "AdminAudited": "运营操作", "ActivityRecorded": "行为记录",
}

ACTIONS = {
    "console.login": "登录运营后台", "console.logout": "退出运营后台", "user.ban": "停用账号",
    "user.unban": "恢复账号", "user.grant_admin": "授予管理员", "task.approve": "任务审核通过",
    "task.reject": "任务审核驳回", "task.publish_platform": "发布平台任务", "task.cancel_platform": "取消平台任务",
    "dispute.rule": "纠纷裁决", "rule.change": "修改运营规则", "job.retry": "重试失败任务",
    "ledger.check": "账本核对", "events.replay": "事件重放", "metrics.backfill": "看板数据回填",
    "reconciliation.run": "重新对账", "post.hide": "隐藏社区帖子", "post.restore": "恢复社区帖子",
    "points.grant": "发放积分", "points.deduct": "扣除积分", "points.reverse": "冲正积分",
    "badge.create": "新建徽章", "badge.update": "修改徽章", "badge.enable": "启用徽章", "badge.disable": "停用徽章",
    "badge.revoke": "收回徽章", "challenge.save": "修改挑战", "checkin.repair": "修复连续签到",
    "mentor.flag": "设为导师", "mentor.unflag": "取消导师身份", "mentor.real_name_approved": "导师实名通过",
    "mentor.real_name_rejected": "导师实名驳回",
    "budget.top_up": "充值平台预算", "growth.reverse_task": "冲正任务成长", "mentor_challenge.create": "发布导师特训",
    "mentor_challenge.close": "关闭导师特训报名", "payout.resend": "重新发起转账", "refund.retry": "重试退款",
    "refund.completed_at_wechat": "确认微信侧已退款", "report.export": "导出成长报告",
}

ROLES = {"developer": "开发者", "merchant": "商家", "admin": "管理员"}

APPLICATIONS = {"submitted": "待回复", "shortlisted": "已入围", "accepted": "已录用", "rejected": "未录用",
                "withdrawn": "已撤回", "no_response": "超时未回复", "closed": "已关闭"}
DECISIONS = {"accepted": "已验收", "revision_requested": "要求修改", "auto_accepted": "自动验收", "disputed": "纠纷中"}


def event_name(name: str) -> str:
    return EVENTS.get(name, name)


def action_name(action: str) -> str:
    return ACTIONS.get(action, action)


def task_status(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def role_name(role: str) -> str:
    return ROLES.get(role, role)


def application_status(status: str) -> str:
    return APPLICATIONS.get(status, status)


def decision_name(decision: str) -> str:
    return DECISIONS.get(decision, decision)
