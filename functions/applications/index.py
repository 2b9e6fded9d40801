"""Cloud function `applications` (Function URL): one-tap apply, withdraw, the merchant's shortlist / accept / reject."""

from shared.applications.routes import router
from shared.runtime import bootstrap

bootstrap()
main_handler = router.handler
