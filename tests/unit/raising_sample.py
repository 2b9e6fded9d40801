"""Code for tests/unit/test_raising.py to analyse: each function raises (or answers) in one of the ways real handlers
do. Never imported by the application."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from shared.http.router import Response


class TokenProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Refusal(Exception):
    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(message)
        self.status, self.outcome, self.message = status, outcome, message


class Store:
    def load(self, item_id: int) -> int:
        if item_id < 0:
            raise NotFound("ITEM_NOT_FOUND", "物品不存在")
        return item_id

    def untyped_helper(self) -> None:
        raise TooManyRequests("SLOW_DOWN", "太快了")


def direct() -> None:
    raise Conflict("ITEM_TAKEN", f"物品 {1} 已被占用")


def through_helper() -> None:
    direct()


def through_typed_parameter(store: Store) -> int:
    return store.load(1)


def through_unknown_object(thing: object) -> None:
    thing.untyped_helper()  # type: ignore[attr-defined]


def passed_as_value() -> None:
    run_it(direct)


def run_it(fn: object) -> None:
    pass


def in_lambda() -> None:
    run_it(lambda: through_helper())


def with_local_import() -> None:
    from shared.errors import Forbidden

    raise Forbidden("NOT_YOURS", "不是你的")


def caught_and_dropped() -> None:
    try:  # noqa: SIM105 - the try/except form is what the analysis must read
        direct()
    except Conflict:
        pass


def caught_and_reraised() -> None:
    try:
        direct()
    except Conflict:
        raise


def caught_and_translated() -> None:
    try:
        tokens()
    except TokenProblem as exc:
        raise Unauthorized(exc.code, exc.message) from None


def tokens() -> None:
    if 1:
        raise TokenProblem("TOKEN_EXPIRED", "登录已过期")
    raise TokenProblem("TOKEN_FORGED", "登录凭证无效")


def answers_itself() -> Response:
    try:
        refuse()
    except Refusal as exc:
        refused = exc
        return _fail(refused.status, refused.message)
    return Response(200, {"code": "SUCCESS"})


def _fail(status: int, message: str) -> Response:
    return Response(status, {"code": "FAIL", "message": message})


def refuse() -> None:
    raise Refusal(404, "unknown", "未知")


def field_error() -> None:
    raise ValidationFailed.field("cursor", "分页游标无效")


def recursive(n: int) -> None:
    if n:
        recursive(n - 1)
        other_half(n)


def other_half(n: int) -> None:
    recursive(n - 1)
    raise Conflict("DEEP", "很深")


def shadowed() -> None:
    direct = 1  # a local, not the module's function
    run_it(direct)
