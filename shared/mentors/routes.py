"""HTTP routes of the `mentors` function, and the operators' mentor routes, which belong to the `admin` function's
URL (/admin/mentors/…) and are composed into it by functions/admin."""

from __future__ import annotations

from shared.http.router import Request, Router
from shared.mentors import queries, service
from shared.mentors import schemas as s
from shared.uow import run

router = Router("mentors")
admin_router = Router("admin")
ADMIN = ("admin",)
DEVELOPER = ("developer",)


@router.post("/mentors/me/real-name", summary="提交导师实名资料（待管理员审核）", body=s.MentorRealNameIn,
             response=s.MentorOut, roles=DEVELOPER, errors=("CONTENT_REJECTED", "CONTENT_CHECK_UNAVAILABLE"))
def real_name(req: Request, body: s.MentorRealNameIn) -> s.MentorOut:
    return service.submit_real_name(req.user_id, body)


@router.get("/mentors/me", summary="我的导师认证状态", response=s.MentorOut, errors=("MENTOR_NOT_FOUND",))
def me(req: Request) -> s.MentorOut:
    return run(lambda uow: service.my_mentor(uow, req.user_id))


@router.get("/mentors/challenges", summary="报名中的导师特训", response=s.ChallengeList)
def challenges(req: Request) -> s.ChallengeList:
    return run(service.open_challenges)


@router.get("/mentors/challenges/{challenge_id:int}", summary="导师特训详情", response=s.ChallengeOut,
            errors=("MENTOR_CHALLENGE_NOT_FOUND",))
def challenge(req: Request) -> s.ChallengeOut:
    return run(lambda uow: service.get_challenge(uow, req.params["challenge_id"]))


@router.post("/mentors/challenges/{challenge_id:int}/enrol", summary="报名导师特训（需成长通行证）",
             response=s.EnrolmentOut, status=201, roles=DEVELOPER,
             errors=("MENTOR_CHALLENGE_NOT_FOUND", "MENTOR_CHALLENGE_CLOSED", "OWN_MENTOR_CHALLENGE",
                     "GROWTH_PASS_REQUIRED", "ALREADY_ENROLLED"))
def enrol(req: Request) -> s.EnrolmentOut:
    return run(lambda uow: service.enrol(uow, req.user_id, req.params["challenge_id"]))


@router.get("/mentors/enrolments", summary="我的特训报名（学员）或待我点评的作品（导师）", query=s.EnrolmentQuery,
            response=s.EnrolmentList)
def enrolments(req: Request, query: s.EnrolmentQuery) -> s.EnrolmentList:
    return run(lambda uow: service.my_enrolments(uow, req.user_id, query.role))


@router.get("/mentors/enrolments/{enrolment_id:int}", summary="特训报名详情（仅学员、导师和管理员）",
            response=s.EnrolmentOut, errors=("MENTOR_ENROLMENT_NOT_FOUND",))
def enrolment(req: Request) -> s.EnrolmentOut:
    return run(lambda uow: service.get_enrolment(uow, req.user_id, req.params["enrolment_id"]))


@router.post("/mentors/enrolments/{enrolment_id:int}/deliverable", summary="提交特训作品（点评前可重新提交）",
             body=s.DeliverableIn, response=s.EnrolmentOut,
             errors=("MENTOR_ENROLMENT_NOT_FOUND", "MENTOR_ENROLMENT_STATE_CONFLICT", "CONTENT_REJECTED",
                     "CONTENT_CHECK_UNAVAILABLE"))
def deliverable(req: Request, body: s.DeliverableIn) -> s.EnrolmentOut:
    return service.submit_deliverable(req.user_id, req.params["enrolment_id"], body)


@router.post("/mentors/enrolments/{enrolment_id:int}/review",
             summary="导师点评：评分、评语和推荐信；通过即从平台预算发放奖金（经账本）", body=s.ReviewIn,
             response=s.EnrolmentOut,
             errors=("MENTOR_ENROLMENT_NOT_FOUND", "MENTOR_ENROLMENT_STATE_CONFLICT", "MENTOR_NOT_ACTIVE",
                     "PLATFORM_BUDGET_INSUFFICIENT", "CONTENT_REJECTED", "CONTENT_CHECK_UNAVAILABLE"))
def review(req: Request, body: s.ReviewIn) -> s.EnrolmentOut:
    return service.review(req.user_id, req.params["enrolment_id"], body)


@router.get("/mentors/letters/{user_id:int}", summary="开发者收到的导师推荐信（简历卡片展示）", response=s.LetterList)
def letters(req: Request) -> s.LetterList:
    return s.LetterList(items=run(lambda uow: queries.letters_for(uow, req.params["user_id"])))


# --------------------------------------------------------------------------------------------------- operators


@admin_router.get("/admin/mentors", summary="导师实名审核队列", query=s.MentorQueueQuery,
                  response=s.AdminMentorList, roles=ADMIN)
def queue(req: Request, query: s.MentorQueueQuery) -> s.AdminMentorList:
    return run(lambda uow: service.mentor_queue(uow, query.status))


@admin_router.post("/admin/mentors/{user_id:int}/real-name", summary="审核导师实名资料（记入审计日志）",
                   body=s.RealNameDecision, response=s.AdminMentorOut, roles=ADMIN,
                   errors=("MENTOR_NOT_FOUND", "MENTOR_REAL_NAME_STATE_CONFLICT"))
def decide(req: Request, body: s.RealNameDecision) -> s.AdminMentorOut:
    return run(lambda uow: service.decide_real_name(uow, req.user_id, req.params["user_id"], body))


@admin_router.put("/admin/mentors/{user_id:int}/flag", summary="设为导师或取消导师身份（记入审计日志）",
                  body=s.FlagIn, response=s.AdminMentorOut, roles=ADMIN, errors=("MENTOR_NOT_FOUND",))
def flag(req: Request, body: s.FlagIn) -> s.AdminMentorOut:
    return run(lambda uow: service.set_flag(uow, req.user_id, req.params["user_id"], body))


@admin_router.post("/admin/mentors/challenges", summary="发布导师特训（奖金由平台预算出资）", body=s.MentorChallengeIn,
                   response=s.ChallengeOut, status=201, roles=ADMIN, errors=("MENTOR_NOT_ACTIVE",))
def create_challenge(req: Request, body: s.MentorChallengeIn) -> s.ChallengeOut:
    return run(lambda uow: service.create_challenge(uow, req.user_id, body))


@admin_router.post("/admin/mentors/challenges/{challenge_id:int}/close", summary="结束导师特训报名",
                   response=s.ChallengeOut, roles=ADMIN,
                   errors=("MENTOR_CHALLENGE_NOT_FOUND", "MENTOR_CHALLENGE_CLOSED"))
def close_challenge(req: Request) -> s.ChallengeOut:
    return run(lambda uow: service.close_challenge(uow, req.user_id, req.params["challenge_id"]))
