"""Building a Tencent Cloud API 3.0 client (TC3-signed) for any service of the modular SDK: SMS, SCF, …

One place for credentials, the endpoint override that points a client at a loopback fake, and the timeout. The SDK
module is imported here, at first use, never when a function module loads (cold start).
"""

from __future__ import annotations

import importlib
from typing import Any


def tencent_client(client_path: str, *, secret_id: str, secret_key: str, region: str, endpoint: str,
                   protocol: str, timeout: int) -> Any:
    """`client_path` is "module:Class", e.g. "tencentcloud.sms.v20210111.sms_client:SmsClient"."""
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    module, _, name = client_path.partition(":")
    client_class = getattr(importlib.import_module(module), name)
    profile = ClientProfile(httpProfile=HttpProfile(protocol=protocol, endpoint=endpoint, reqTimeout=timeout))
    return client_class(credential.Credential(secret_id, secret_key), region, profile)
