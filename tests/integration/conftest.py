from __future__ import annotations

import pytest

from tests.support.api import World


@pytest.fixture
def world(db, platform):
    return World(platform)
