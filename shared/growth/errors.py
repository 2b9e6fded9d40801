"""The growth area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import Conflict, NotFound


class PointsEntryNotFound(NotFound):
    code, message = "POINTS_ENTRY_NOT_FOUND", "积分记录不存在"


class AlreadyReversed(Conflict):
    code, message = "ALREADY_REVERSED", "这条积分记录已经冲正过"


class NothingToReverse(Conflict):
    code, message = "NOTHING_TO_REVERSE", "这条记录没有可冲正的积分（被每日上限抵扣为 0 或本身是冲正）"


class UserNotFound(NotFound):
    code, message = "USER_NOT_FOUND", "用户不存在"
