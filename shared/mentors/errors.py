"""The mentors area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound


class ChallengeNotFound(NotFound):
    code, message = "MENTOR_CHALLENGE_NOT_FOUND", "导师特训不存在"


class EnrolmentNotFound(NotFound):
    code, message = "MENTOR_ENROLMENT_NOT_FOUND", "特训报名不存在"


class MentorNotFound(NotFound):
    code, message = "MENTOR_NOT_FOUND", "导师记录不存在"


class GrowthPassRequired(Forbidden):
    code, message = "GROWTH_PASS_REQUIRED", "导师特训需开通成长通行证"


class NotAMentor(Conflict):
    code, message = "MENTOR_NOT_ACTIVE", "该用户不是已认证的导师（需管理员设为导师并通过实名审核）"


class AlreadyEnrolled(Conflict):
    code, message = "ALREADY_ENROLLED", "你已报名该特训"


class OwnChallenge(Conflict):
    code, message = "OWN_MENTOR_CHALLENGE", "导师不能报名自己的特训"


class ChallengeClosed(Conflict):
    code, message = "MENTOR_CHALLENGE_CLOSED", "该特训已结束报名"


class EnrolmentStateConflict(Conflict):
    code, message = "MENTOR_ENROLMENT_STATE_CONFLICT", "当前状态不允许此操作"


class RealNameStateConflict(Conflict):
    code, message = "MENTOR_REAL_NAME_STATE_CONFLICT", "实名资料不在待审核状态"


class BudgetInsufficient(Conflict):
    code, message = "PLATFORM_BUDGET_INSUFFICIENT", "平台预算不足，无法发放特训奖金，请联系运营充值后再点评"
