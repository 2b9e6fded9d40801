"""One configured client per external service per process (warm SCF containers reuse them).

Built lazily from settings on first use, so a function pays for wechatpy / tencentcloud / wechatpayv3 imports only
when a request actually needs them. `reset()` lets tests and the local runtime re-point them at the fakes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from shared.config import get_settings

if TYPE_CHECKING:
    from shared.adapters.sms import SmsSender
    from shared.adapters.wechat import WeChatGateway
    from shared.adapters.wechatpay import WeChatPayGateway


@lru_cache(maxsize=1)
def wechat() -> WeChatGateway:
    from shared.adapters.wechat import WeChatGateway

    return WeChatGateway.from_settings(get_settings())


@lru_cache(maxsize=1)
def sms() -> SmsSender:
    from shared.adapters.sms import SmsSender

    return SmsSender.from_settings(get_settings())


@lru_cache(maxsize=1)
def wechatpay() -> WeChatPayGateway:
    from shared.adapters.wechatpay import WeChatPayGateway

    return WeChatPayGateway.from_settings(get_settings())


def reset() -> None:
    wechat.cache_clear()
    sms.cache_clear()
    wechatpay.cache_clear()
