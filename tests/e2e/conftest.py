from __future__ import annotations

import pytest

from infra.local.client import LocalClient


@pytest.fixture
def client(db, platform, monkeypatch):
    """The mini-program's view: HTTP to the local gateway, plus the fakes' dev controls. Like `make dev`, every
    commit that queues jobs kicks the jobs worker through the SCF fake (integration tests keep kicks off)."""
    from shared.config import reset_settings

    monkeypatch.setenv("JOBS_KICK", "scf")
    reset_settings()
    f = platform.fakes
    yield LocalClient(gateway=platform.gateway.base_url, wechat=f["wechat"].base_url, sms=f["sms"].base_url,
                      wechatpay=f["wechatpay"].base_url)
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def world(db, platform):
    """Actors and data built through the real API in process (the console's browser tests)."""
    from tests.support.api import World

    return World(platform)
