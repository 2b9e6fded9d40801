"""One stable origin: an SCF custom domain (函数自定义域名) with path routing in front of the Function URLs.

The mini-program's request whitelist (request合法域名), the admin console and WeChat Pay's notify URL all need one
https host that never changes, while each Function URL is its own generated host. SCF's custom domain maps
`<domain>/<path>` to a function (API CreateCustomDomain, EndpointsConfig: Namespace, FunctionName, Qualifier,
PathMatch "/xxx" or "/xxx/*"; tencentcloud-sdk-python-scf models.EndpointsConf). multi-scf cannot declare one, so it
is declared here, derived from serverless.yml: every HTTP function gets `/<name>` and `/<name>/*` — the first path
segment names the function, exactly the routing the local gateway (infra/local/gateway.py) emulates, and the paths
reach the function unchanged (no rewrite), as the routers expect.

    python -m infra.deploy.domain --domain api.example.cn --certificate-id <SSL cert id>            # print the request
    python -m infra.deploy.domain --domain api.example.cn --certificate-id <id> --apply             # create / update

`--apply` uses the deployer's credentials (TENCENT_SECRET_ID / TENCENT_SECRET_KEY, like the scf CLI) in
TENCENT_REGION and FUNCTIONS_NAMESPACE. The domain needs an ICP filing (备案) and a CNAME to the target SCF answers
with; docs/DEPLOY.md has the steps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from infra.local.manifest import DEFAULT_PATH, Manifest, load_manifest

DEFAULT_QUALIFIER = "$DEFAULT"  # what the Function URL triggers run (tencent-component-toolkit triggers/http.ts)


def endpoints(manifest: Manifest, *, namespace: str, qualifier: str = DEFAULT_QUALIFIER) -> list[dict[str, str]]:
    """EndpointsConfig: `/<function>` and `/<function>/*` for every HTTP function."""
    out = []
    for name in sorted(manifest.http_functions):
        spec = manifest.function(name)
        for path in (f"/{name}", f"/{name}/*"):
            out.append({"Namespace": namespace, "FunctionName": spec.deployed_name, "Qualifier": qualifier,
                        "PathMatch": path})
    return out


def route(endpoints_config: list[dict[str, str]], path: str) -> str | None:
    """The function a request path reaches through the custom domain (None: no route, SCF answers 404)."""
    for endpoint in endpoints_config:
        match = endpoint["PathMatch"]
        if (match.endswith("/*") and path.startswith(match[:-1])) or path == match:
            return endpoint["FunctionName"]
    return None


def custom_domain_request(domain: str, certificate_id: str | None, manifest: Manifest, *, namespace: str,
                          qualifier: str = DEFAULT_QUALIFIER) -> dict[str, Any]:
    """The CreateCustomDomain / UpdateCustomDomain parameters. HTTPS only: WeChat accepts nothing else."""
    request: dict[str, Any] = {
        "Domain": domain,
        "Protocol": "HTTPS",
        "EndpointsConfig": endpoints(manifest, namespace=namespace, qualifier=qualifier),
    }
    if certificate_id:
        request["CertConfig"] = {"CertificateId": certificate_id}
    return request


def apply(request: dict[str, Any], *, region: str) -> str:  # pragma: no cover - talks to the real SCF API
    from tencentcloud.common import credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.scf.v20180416 import models, scf_client

    client = scf_client.ScfClient(credential.Credential(os.environ["TENCENT_SECRET_ID"],
                                                        os.environ["TENCENT_SECRET_KEY"]), region)
    exists = True
    try:
        get = models.GetCustomDomainRequest()
        get.Domain = request["Domain"]
        client.GetCustomDomain(get)
    except TencentCloudSDKException:
        exists = False
    call = models.UpdateCustomDomainRequest() if exists else models.CreateCustomDomainRequest()
    call.from_json_string(json.dumps(request))
    (client.UpdateCustomDomain if exists else client.CreateCustomDomain)(call)
    return "updated" if exists else "created"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domain", required=True, help="e.g. api.codelink-tech.cn (the host of PUBLIC_BASE_URL)")
    parser.add_argument("--certificate-id", help="the SSL certificate's id in Tencent Cloud SSL")
    parser.add_argument("--namespace", default=os.environ.get("FUNCTIONS_NAMESPACE", "default"))
    parser.add_argument("--qualifier", default=DEFAULT_QUALIFIER)
    parser.add_argument("--apply", action="store_true", help="create or update it (deployer credentials)")
    args = parser.parse_args(argv)
    request = custom_domain_request(args.domain, args.certificate_id, load_manifest(DEFAULT_PATH),
                                    namespace=args.namespace, qualifier=args.qualifier)
    print(json.dumps(request, ensure_ascii=False, indent=2))
    if args.apply:
        if not args.certificate_id:
            print("--apply needs --certificate-id (HTTPS)", file=sys.stderr)
            return 1
        print(f"custom domain {apply(request, region=os.environ['TENCENT_REGION'])}: {args.domain}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
