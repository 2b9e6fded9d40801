"""`make dev`: the whole platform on this machine, like it runs in the cloud.

PostgreSQL (embedded under .data/pg, or DATABASE_URL), migrations, the loopback fakes of WeChat, Tencent SMS, SCF,
WeChat Pay, the lottery's drand beacon and COS (moto's S3 server) on fixed ports, every function behind the local
gateway on http://127.0.0.1:9000, timers firing on their serverless.yml schedules, the jobs worker kicked through the
SCF fake after each commit, demo data on first run, and the H5 build of the mini-program (built by `make dev` when
stale) on http://127.0.0.1:9100. Ctrl-C (or SIGTERM) stops everything; data survives a restart.
"""

from __future__ import annotations

import logging
import signal
import threading

from infra.local.client import dev_ports
from infra.local.platform import LocalPlatform

PORTS = dev_ports()  # 9000, 9100–9104, 9108, 9110 unless CODELINK_PORT_BASE moves them


def dev_platform() -> LocalPlatform:
    """`make dev`'s platform, not started: the `codelink` database, every fake and the gateway on PORTS, jobs kicked
    through the SCF fake. `make demo` starts the same one when `make dev` is not running."""
    return LocalPlatform(database_name="codelink", jobs_kick="scf", gateway_port=PORTS["gateway"],
                         wechat_port=PORTS["wechat"], sms_port=PORTS["sms"], scf_port=PORTS["scf"],
                         wechatpay_port=PORTS["wechatpay"], beacon_port=PORTS["beacon"], cos_port=PORTS["cos"])


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-5s %(name)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per table of every report PDF's font subset
    log = logging.getLogger("codelink.dev")
    platform = dev_platform().start()
    from infra.local.client import LocalClient
    from infra.local.gateway import Timers
    from infra.local.h5 import H5_DIST, H5Server
    from infra.local.manifest import load_manifest
    from infra.local.seed import already_seeded, seed

    timers = Timers.from_manifest(load_manifest(), platform.gateway.runner)
    timers.start()
    client = LocalClient()
    if not already_seeded(client):
        log.info("seeding demo data (first run)…")
        log.info("seeded: %s", seed(client))
    h5 = None
    h5_line = "mini-program (H5)     not built: `make miniprogram` builds it (make dev does when Node is there)"
    if (H5_DIST / "index.html").is_file():
        h5 = H5Server(H5_DIST, gateway=platform.gateway.base_url, wechat=platform.fakes["wechat"].base_url,
                      wechatpay=platform.fakes["wechatpay"].base_url, port=PORTS["h5"])
        h5.start()
        h5_line = f"mini-program (H5)     {h5.base_url}   open it in a browser (375 px wide, like a phone)"
    log.info("""
  CodeLink is running.
    %(h5_line)s
    operators' console    http://127.0.0.1:%(gateway)d/admin/console   SMS login with 13800000000 (code in this log)
    API (Function URLs)   http://127.0.0.1:%(gateway)d   (GET /openapi.json, /tasks, …)
    fake WeChat           http://127.0.0.1:%(wechat)d   POST /_fake/wechat/login-code {"user": "alice"} → wx.login code
    fake Tencent SMS      http://127.0.0.1:%(sms)d   codes also appear in this log
    fake SCF              http://127.0.0.1:%(scf)d   async invokes (the jobs worker's kick after each commit)
    fake WeChat Pay       http://127.0.0.1:%(wechatpay)d   POST /_fake/wechatpay/pay {"out_trade_no": …}
    fake drand beacon     http://127.0.0.1:%(beacon)d   the lottery's public randomness
    fake COS (moto S3)    http://127.0.0.1:%(cos)d   bucket codelink-dev-1250000000
    admin                 SMS login with 13800000000 (make admin PHONE=… for others), in the console or by API
  Ctrl-C to stop.""", PORTS | {"h5_line": h5_line})
    stop = threading.Event()
    # Ctrl-C (SIGINT) or `kill` (SIGTERM) stops it cleanly. SIGINT gets its own handler: a shell starts a background
    # job (`make dev &`) with SIGINT ignored, and Python then raises no KeyboardInterrupt.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    log.info("stopping…")
    if h5 is not None:
        h5.stop()
    timers.stop()
    platform.stop()


if __name__ == "__main__":
    main()
