"""Cloud function `auth` (Function URL): login (WeChat, SMS), phone binding, token refresh."""

from shared.auth.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
