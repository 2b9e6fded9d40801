"""Content security for user-generated text (WeChat msg_sec_check v2). A mini-program's UGC must pass it."""

from __future__ import annotations

from dataclasses import dataclass

from shared.adapters import clients
from shared.errors import ServiceUnavailable, ValidationFailed


@dataclass(frozen=True)
class Verdict:
    suggest: str  # pass / review / risky
    label: str | None
    field: str | None


def assess(texts: dict[str, str], openid: str | None) -> Verdict:
    """The worst verdict over the non-empty texts (risky > review > pass)."""
    from shared.adapters.wechat import WeChatError

    order = {"pass": 0, "review": 1, "risky": 2}
    worst = Verdict("pass", None, None)
    for field, content in texts.items():
        if not content.strip():
            continue
        try:
            result = clients.wechat().check_text(content, openid or "")
        except WeChatError as exc:
            raise ServiceUnavailable("CONTENT_CHECK_UNAVAILABLE", "内容安全检测暂时不可用，请稍后再试") from exc
        if order.get(result.suggest, 1) > order[worst.suggest]:
            worst = Verdict(result.suggest, str(result.label) if result.label else None, field)
    return worst


def author_openid(user_id: int) -> str | None:
    """The author's WeChat openid for the check (v2 needs it; SMS-only users get v1). Its own short read: the check
    runs before the use case's unit of work opens, never inside it."""
    from shared.uow import run

    return run(lambda uow: uow.execute("SELECT openid FROM users WHERE id = :u", {"u": user_id}).scalar())


def check_texts(texts: dict[str, str], openid: str | None) -> None:
    """For profile text: refuse risky content outright (there is no review queue for profiles)."""
    verdict = assess(texts, openid)
    if verdict.suggest == "risky":
        raise ValidationFailed([{"field": verdict.field or "", "message": "内容未通过安全检测，请修改后重试"}])
