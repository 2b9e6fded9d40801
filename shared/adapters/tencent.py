"""Building a Tencent Cloud API 3.0 client (TC3-signed) for any service of the modular SDK: SMS, SCF, …

One place for credentials, the endpoint override that points a client at a loopback fake, and the timeout. The SDK
module is imported here, at first use, never when a function module loads (cold start).

Credentials are the function's execution role's (serverless.yml `role:`): SCF puts temporary ones in the environment
as TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY / TENCENTCLOUD_SESSIONTOKEN. They expire and the runtime replaces
them, so `RoleCredential` reads them at every request instead of once per container, and always sends the session
token (a temporary key without its token is refused: AuthFailure.TokenFailure). Locally the platform exports the same
three variables with the fakes' values (infra/local/platform.py).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

ROLE_VARIABLES = ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN")


class RoleCredential:
    """The tencentcloud-sdk credential interface (`get_credential_info()` and the three attributes), read from the
    environment on every call; `fallback` (id, key, token) when a variable is absent (tests, settings objects)."""

    def __init__(self, fallback: tuple[str, str, str | None] = ("", "", None)) -> None:
        self._fallback = fallback

    def get_credential_info(self) -> tuple[str, str, str | None]:
        env = os.environ
        secret_id = env.get(ROLE_VARIABLES[0]) or self._fallback[0]
        secret_key = env.get(ROLE_VARIABLES[1]) or self._fallback[1]
        token = env.get(ROLE_VARIABLES[2]) or self._fallback[2]
        return secret_id, secret_key, token or None

    @property
    def secret_id(self) -> str:
        return self.get_credential_info()[0]

    @property
    def secret_key(self) -> str:
        return self.get_credential_info()[1]

    @property
    def token(self) -> str | None:
        return self.get_credential_info()[2]

    @classmethod
    def from_settings(cls, settings: Any) -> RoleCredential:
        return cls((settings.tencentcloud_secretid, settings.tencentcloud_secretkey,
                    settings.tencentcloud_sessiontoken or None))


class StaticCredential(RoleCredential):
    """Fixed credentials (tests): the environment is not consulted."""

    def get_credential_info(self) -> tuple[str, str, str | None]:
        return self._fallback


def tencent_client(client_path: str, *, credential: RoleCredential, region: str, endpoint: str,
                   protocol: str, timeout: int) -> Any:
    """`client_path` is "module:Class", e.g. "tencentcloud.sms.v20210111.sms_client:SmsClient"."""
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    module, _, name = client_path.partition(":")
    client_class = getattr(importlib.import_module(module), name)
    profile = ClientProfile(httpProfile=HttpProfile(protocol=protocol, endpoint=endpoint, reqTimeout=timeout))
    return client_class(credential, region, profile)
