"""Cloud function `notifications` (Function URL): the in-app inbox and subscribe-message consents."""

from shared.notifications.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
