from __future__ import annotations

import pytest

from infra.local.client import LocalClient


@pytest.fixture
def client(db, platform):
    """The mini-program's view: HTTP to the local gateway, plus the fakes' dev controls."""
    f = platform.fakes
    return LocalClient(gateway=platform.gateway.base_url, wechat=f["wechat"].base_url, sms=f["sms"].base_url,
                       wechatpay=f["wechatpay"].base_url)
