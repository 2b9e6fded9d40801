"""The public randomness beacon of the monthly lottery: a drand chain (quicknet: a round every 3 s since its genesis)
over its HTTP API. A round's value cannot be known before its time, which is after the lottery's close.

`fetch(round)` returns the round's randomness (hex), or None while the round is not out yet. An external call: never
inside a database transaction (shared/txguard.py). Locally and in tests the URL points at infra/fakes/beacon.py.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from shared.config import get_settings

QUICKNET_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
SOURCE = f"drand:{QUICKNET_CHAIN}"  # docs/LOTTERY.md §4: drand:<chain hash>
QUICKNET_GENESIS = 1692803367  # drand quicknet chain 52db9ba7…: genesis (Unix seconds) and period
QUICKNET_PERIOD = 3
TIMEOUT_S = 10


class BeaconUnavailable(RuntimeError):
    pass


def round_at(at: datetime) -> int:
    """The latest round published at `at` (round 1 at genesis; 0 before it)."""
    elapsed = int(at.timestamp()) - QUICKNET_GENESIS
    return 0 if elapsed < 0 else elapsed // QUICKNET_PERIOD + 1


def round_time(round_: int) -> datetime:
    return datetime.fromtimestamp(QUICKNET_GENESIS + (round_ - 1) * QUICKNET_PERIOD, tz=timezone.utc)


def first_round_after(at: datetime, margin: timedelta = timedelta(minutes=10)) -> int:
    """The first round published at least `margin` after `at` (docs/LOTTERY.md §4: 10 minutes after the close, so
    the entry digest is out well before the value exists)."""
    elapsed = math.ceil((at + margin).timestamp()) - QUICKNET_GENESIS
    return max(1, -(-elapsed // QUICKNET_PERIOD) + 1)


def fetch(round_: int) -> str | None:
    from shared.txguard import assert_outside_transaction  # never inside a transaction

    assert_outside_transaction("beacon.fetch")
    url = f"{get_settings().lottery_beacon_url.rstrip('/')}/public/{round_}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - https/loopback by config
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 425):
            return None  # not out yet
        raise BeaconUnavailable(f"beacon answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise BeaconUnavailable(str(exc)) from exc
    if int(data.get("round", -1)) != round_:
        raise BeaconUnavailable(f"beacon answered round {data.get('round')!r} for {round_}")
    value = str(data["randomness"])
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise BeaconUnavailable("beacon randomness is not 32 bytes of lowercase hex")
    return value
