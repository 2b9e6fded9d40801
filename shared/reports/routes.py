"""HTTP routes of the `reports` function.

Developers: the report of the month so far (issued at once), their reports with short-lived download links, the
resume card's switches, its share link and mini-program code. Public: the resume card page (HTML). Operators: cohort
runs (a job) and their progress."""

from __future__ import annotations

from shared import clock
from shared.config import get_settings
from shared.http.router import Request, Response, Router
from shared.reports import cards, exports, pages, service, store
from shared.reports import schemas as s
from shared.reports.errors import CardNotFound
from shared.reports.signing import display_code, verify_url
from shared.uow import run

router = Router("reports")
DEVELOPER = ("developer",)
ADMIN = ("admin",)
WXA_PAGE = "pages/card/index"


def _download(key: str, filename: str) -> str:
    from shared.adapters.cos import cos

    return cos().presigned_get(key, filename=filename)


def report_out(r: store.StoredReport, created: bool = True) -> s.ReportOut:
    return s.ReportOut(
        id=r.id, month=r.month, version=r.version, final=r.final, as_of=r.as_of, code=display_code(r.code),
        verify_url=verify_url(get_settings().public_base_url, r.code), pdf_sha256=r.pdf_sha256, pages=r.pages,
        download_url=_download(r.cos_key, f"codelink-report-{r.month}-v{r.version}.pdf"),
        generated_at=r.generated_at, created=created)


@router.post("/reports/me/current", summary="生成本月至今的成长报告（数据未变时返回同一份）", response=s.ReportOut,
             roles=DEVELOPER, errors=("REPORT_NOT_FOUND",))
def current(req: Request) -> s.ReportOut:
    month = clock.shanghai_date(clock.now()).strftime("%Y-%m")
    issued = service.generate(req.user_id, month)
    row = run(lambda uow: store.report_of(uow, req.user_id, issued.id))
    return report_out(row, issued.created)


@router.get("/reports/me", summary="我的成长报告（每月当前版本）", response=s.ReportList, roles=DEVELOPER)
def mine(req: Request) -> s.ReportList:
    rows = run(lambda uow: store.reports_of(uow, req.user_id))
    return s.ReportList(items=[report_out(r, False) for r in rows])


@router.get("/reports/me/{report_id:int}", summary="我的一份成长报告（含新的下载链接）", response=s.ReportOut,
            roles=DEVELOPER, errors=("REPORT_NOT_FOUND",))
def one(req: Request) -> s.ReportOut:
    return report_out(run(lambda uow: store.report_of(uow, req.user_id, req.params["report_id"])), False)


# --------------------------------------------------------------------------------------------------- resume card


def card_url(user_id: int) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/reports/cards/{user_id}"


def _settings_out(c: cards.CardSettings) -> s.CardSettingsOut:
    return s.CardSettingsOut(enabled=c.enabled, sections=list(c.sections),
                             url=card_url(c.user_id) if c.enabled else None)


@router.get("/reports/card", summary="我的简历卡片公开设置", response=s.CardSettingsOut, roles=DEVELOPER)
def card_settings(req: Request) -> s.CardSettingsOut:
    return _settings_out(run(lambda uow: cards.settings_of(uow, req.user_id)))


@router.put("/reports/card", summary="公开或关闭简历卡片页面（关闭立即下线）", body=s.CardSettingsIn,
            response=s.CardSettingsOut, roles=DEVELOPER)
def save_card(req: Request, body: s.CardSettingsIn) -> s.CardSettingsOut:
    return _settings_out(run(lambda uow: cards.save_settings(uow, req.user_id, body.enabled, list(body.sections))))


@router.post("/reports/card/share", summary="简历卡片分享链接与小程序码", response=s.ShareOut, roles=DEVELOPER,
             errors=("RESUME_CARD_OFF",))
def share(req: Request) -> s.ShareOut:
    from shared.adapters import clients
    from shared.adapters.cos import cos
    from shared.reports.errors import CardOff

    settings = run(lambda uow: cards.settings_of(uow, req.user_id))
    if not settings.enabled:
        raise CardOff()
    scene = f"card={req.user_id}"
    key = settings.wxa_code_key
    if key is None:  # made once: the code of a card never changes
        png = clients.wechat().wxa_code(scene, page=WXA_PAGE)
        key = f"cards/{req.user_id}/wxacode.png"
        cos().put(key, png, "image/png")
        run(lambda uow: cards.set_wxa_code(uow, req.user_id, key))
    return s.ShareOut(url=card_url(req.user_id), wxa_code_url=cos().presigned_get(key), scene=scene)


@router.get("/reports/cards/{user_id:int}/data", summary="开发者的公开简历卡片（数据；小程序卡片页读取）", auth=False,
            response=s.PublicCardOut, errors=("RESUME_CARD_NOT_FOUND",))
def card_data(req: Request) -> s.PublicCardOut:
    user_id = req.params["user_id"]
    card = run(lambda uow: cards.page(uow, user_id))
    return s.PublicCardOut(
        profile=card.profile, level=card.level, xp=card.xp,
        categories=[s.PointsOut(name=n, points=p) for n, p in card.categories],
        top_skills=[s.PointsOut(name=n, points=p) for n, p in card.top_skills], title=card.title,
        badges=card.badges, rated_work=[s.RatedWorkOut(**w) for w in card.rated_work], challenges=card.challenges,
        letters=[s.CardLetterOut(**m) for m in card.letters], url=card_url(user_id))


@router.get("/reports/cards/{user_id:int}", summary="开发者的公开简历卡片页面（HTML）", auth=False, in_schema=False)
def card_page(req: Request) -> Response:
    user_id = req.params["user_id"]
    try:
        card = run(lambda uow: cards.page(uow, user_id))
    except CardNotFound as exc:
        return pages.html_response(pages.not_found_page(exc.message), 404)
    return pages.html_response(pages.card_page(card, url=card_url(user_id)))


# --------------------------------------------------------------------------------------------------- operators


def export_out(v: exports.ExportView) -> s.ExportOut:
    zip_url = _download(v.zip_key, f"codelink-reports-{v.month}.zip") if v.zip_key else None
    percent = 100 if v.status == "done" else ((v.done + v.failed) * 100 // v.total if v.total else 0)
    return s.ExportOut(id=v.id, month=v.month, status=v.status, total=v.total, done=v.done, failed=v.failed,
                       progress_percent=percent, filters=v.filters, zip_url=zip_url, error=v.error,
                       created_at=v.created_at,
                       finished_at=v.finished_at)


@router.post("/reports/admin/exports", summary="为一位开发者或一批开发者生成报告并导出 ZIP（后台任务）",
             body=s.ExportIn, response=s.ExportOut, status=202, roles=ADMIN,
             errors=("REPORT_BAD_MONTH", "REPORT_EXPORT_NOT_FOUND"))
def start_export(req: Request, body: s.ExportIn) -> s.ExportOut:
    month = service.check_month(body.month)

    def start(uow: exports.UnitOfWork) -> exports.ExportView:
        export_id = exports.create(uow, req.user_id, month, user_id=body.user_id, level=body.level,
                                   skill=body.skill, active_only=body.active_only)
        return exports.view(uow, export_id)

    return export_out(run(start))


@router.get("/reports/admin/exports/{export_id:int}", summary="报告导出任务的进度与下载链接", response=s.ExportOut,
            roles=ADMIN, errors=("REPORT_EXPORT_NOT_FOUND",))
def export_status(req: Request) -> s.ExportOut:
    return export_out(run(lambda uow: exports.view(uow, req.params["export_id"])))
