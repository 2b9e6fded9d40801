"""Cloud function `auth` (Function URL): login (WeChat, SMS), phone binding, token refresh."""

from shared.auth.routes import router
from shared.runtime import bootstrap

bootstrap()
main_handler = router.handler
