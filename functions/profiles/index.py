"""Cloud function `profiles` (Function URL): the developer's resume card, merchant profiles, the skill taxonomy."""

from shared.profiles.routes import router
from shared.runtime import bootstrap

bootstrap()
main_handler = router.handler
