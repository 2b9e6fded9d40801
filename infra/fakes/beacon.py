"""Fake drand beacon (the HTTP API of a drand chain, e.g. quicknet) for tests and local runs.

    GET /info             -> {"period": 3, "genesis_time": …, "hash": …}
    GET /public/{round}   -> {"round", "randomness", "signature"} once the round's time has come (by the installed
                             shared.clock, so tests and `make dev` travel in time with it); 425 before
    GET /public/latest    -> the latest round

Randomness is SHA-256 of the round's "signature" (an HMAC of the round under a per-fake secret), as drand derives it
from the BLS signature: unpredictable for anyone without the secret, the same value every time it is asked.
Controls (not in the real API): GET /_fake/beacon/value/{round} answers even before the round's time (tests).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from infra.fakes.base import FakeRequest, FakeResponse, FakeServer
from shared import clock
from shared.adapters.beacon import QUICKNET_GENESIS, QUICKNET_PERIOD, round_at, round_time


class FakeBeacon(FakeServer):
    name = "fake-beacon"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, secret: bytes | None = None) -> None:
        super().__init__(host, port)
        self.secret = secret or secrets.token_bytes(32)
        self.requests = 0

    def value(self, round_: int) -> tuple[str, str]:
        signature = hmac.new(self.secret, round_.to_bytes(8, "big"), hashlib.sha256).hexdigest()
        return hashlib.sha256(bytes.fromhex(signature)).hexdigest(), signature

    def handle(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            self.requests += 1
        parts = request.path.strip("/").split("/")
        if parts == ["info"]:
            return FakeResponse.json({"period": QUICKNET_PERIOD, "genesis_time": QUICKNET_GENESIS,
                                      "hash": "fake-quicknet", "schemeID": "bls-unchained-g1-rfc9380"})
        latest = round_at(clock.now())
        early = parts[:3] == ["_fake", "beacon", "value"] and len(parts) == 4
        if early or (len(parts) == 2 and parts[0] == "public"):
            name = parts[-1]
            if name == "latest":
                r = latest
            elif name.isdigit() and int(name) >= 1:
                r = int(name)
            else:
                return FakeResponse.json({"error": "bad round"}, 400)
            if r > latest and not early:
                return FakeResponse.json({"error": f"round {r} is at {round_time(r).isoformat()}, not yet"}, 425)
            randomness, signature = self.value(r)
            return FakeResponse.json({"round": r, "randomness": randomness, "signature": signature})
        return FakeResponse.json({"error": "not found"}, 404)
