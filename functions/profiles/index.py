"""Cloud function `profiles` (Function URL): the developer's resume card, merchant profiles, the skill taxonomy."""

from shared.profiles.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
