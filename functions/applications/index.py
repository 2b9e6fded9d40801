"""Cloud function `applications` (Function URL): one-tap apply, withdraw, the merchant's shortlist / accept / reject."""

from shared.applications.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
