"""HTTP routes of the `leaderboards` function: the boards with "my rank", and the user's leaderboard settings. (The
user's badges and title are the badges area's routes, composed into this function by functions/leaderboards.)"""

from __future__ import annotations

from shared.badges.queries import titles_of
from shared.errors import NotFound, ValidationFailed
from shared.http.router import Request, Router
from shared.leaderboards import rules, service
from shared.leaderboards import schemas as s
from shared.uow import UnitOfWork, run

router = Router("leaderboards")
PORTRAITS = 10  # the public top 10 shows skill portraits


@router.get("/leaderboards/settings", summary="我的排行榜设置", response=s.LeaderboardSettingsOut)
def get_settings(req: Request) -> s.LeaderboardSettingsOut:
    got = run(lambda uow: service.get_settings(uow, req.user_id))
    return s.LeaderboardSettingsOut(opted_out=got.opted_out, portrait_public=got.portrait_public)


@router.put("/leaderboards/settings", summary="修改我的排行榜设置（退出排行榜、技能画像）",
            body=s.LeaderboardSettingsIn, response=s.LeaderboardSettingsOut)
def put_settings(req: Request, body: s.LeaderboardSettingsIn) -> s.LeaderboardSettingsOut:
    got = run(lambda uow: service.set_settings(uow, req.user_id, body.opted_out, body.portrait_public))
    return s.LeaderboardSettingsOut(opted_out=got.opted_out, portrait_public=got.portrait_public)


def _known_skill(uow: UnitOfWork, slug: str) -> bool:
    return uow.execute("SELECT 1 FROM skills WHERE slug = :s", {"s": slug}).first() is not None


def board_view(uow: UnitOfWork, board: str, query: s.BoardQuery, user_id: int | None) -> s.BoardOut:
    if board not in rules.BOARDS:
        raise NotFound("BOARD_NOT_FOUND", "没有这个排行榜（可选：weekly、monthly、all_time、skill）")
    if board == "skill":
        if not query.skill:
            raise ValidationFailed.field("skill", "技能榜需要指定技能")
        if not _known_skill(uow, query.skill):
            raise ValidationFailed.field("skill", "未知的技能")
    elif query.skill:
        raise ValidationFailed.field("skill", "只有技能榜可以指定技能")
    period = query.period or rules.current_period(board, uow.now)
    try:
        rules.check_period(board, period)
    except rules.PeriodError:
        raise ValidationFailed.field("period", "周期格式有误或与榜单不符（周 2026-W49、月 2026-12、总榜 all）"
                                     ) from None
    stored = rules.stored_board(board, query.skill)
    entries = service.top(uow, stored, period, query.limit)
    ids = [e.user_id for e in entries]
    names = service.display_names(uow, ids)
    titles = titles_of(uow, ids)
    shown = [e.user_id for e in entries[:PORTRAITS]]
    pics = service.portraits(uow, shown)
    allowed = service.portrait_allowed(uow, shown)
    out_entries = [s.BoardEntryOut(
        rank=e.rank, user_id=e.user_id, display_name=names.get(e.user_id, "匿名开发者"), score=e.score,
        title=titles[e.user_id].name if e.user_id in titles else None,
        portrait=[s.SkillPortraitOut(skill=p.skill, points=p.points) for p in pics.get(e.user_id, [])]
        if e.user_id in allowed else None) for e in entries]
    me = None
    if user_id is not None:
        mine = service.my_rank(uow, stored, period, user_id)
        if mine is not None:
            me = s.MyRankOut(score=mine.score, rank=mine.rank, exact=mine.exact,
                             as_of=rules.as_of_label(mine.as_of) if mine.as_of else None, as_of_at=mine.as_of)
    start, end = rules.bounds(period)
    return s.BoardOut(board=board, period=period, period_start=start, period_end=end, skill=query.skill,
                      entries=out_entries, me=me)


@router.get("/leaderboards/{board:str}", summary="排行榜（周榜、月榜、总榜、技能榜）与我的名次", query=s.BoardQuery,
            response=s.BoardOut, auth="optional", errors=("BOARD_NOT_FOUND", "VALIDATION_FAILED"))
def board(req: Request, query: s.BoardQuery) -> s.BoardOut:
    user_id = req.principal.user_id if req.principal else None
    return run(lambda uow: board_view(uow, req.params["board"], query, user_id))
