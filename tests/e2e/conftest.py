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


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (the console's browser tests: tests/e2e/test_console*.py)."""
    from tests.support.console import ARGS, CHROMIUM, SHOTS

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: bash infra/setup/ensure-apt.sh chromium fonts-noto-cjk (make test does)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        # launch() gives every browser a fresh temporary user-data-dir (nothing from another run).
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def site(platform):
    """The console's address on the local gateway."""
    from tests.support.console import BASE

    return platform.gateway.base_url + BASE
