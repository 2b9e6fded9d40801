"""Cloud function `community` (Function URL): community posts, likes, comments and reports, and invitations."""

from shared.community.routes import router
from shared.invitations.routes import router as invitations_router
from shared.runtime import bootstrap, http_function

router.routes.extend(invitations_router.routes)
bootstrap()
main_handler = http_function(router)
