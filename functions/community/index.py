"""Cloud function `community` (Function URL): community posts, likes, comments and reports, and invitations."""

from shared.community.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
