"""The reports area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import AppError, Conflict, NotFound


class ReportNotFound(NotFound):
    code, message = "REPORT_NOT_FOUND", "成长报告不存在"


class BadMonth(AppError):
    status, code, message = 422, "REPORT_BAD_MONTH", "月份格式应为 YYYY-MM，且不能晚于本月"


class ExportNotFound(NotFound):
    code, message = "REPORT_EXPORT_NOT_FOUND", "导出任务不存在"


class CardNotFound(NotFound):
    code, message = "RESUME_CARD_NOT_FOUND", "简历卡片未公开或不存在"


class CardOff(Conflict):
    code, message = "RESUME_CARD_OFF", "请先公开简历卡片"
