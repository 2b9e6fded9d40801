"""Cloud function `work` (Function URL): delivery, revision, acceptance, ratings."""

from shared.work.routes import router
from shared.runtime import bootstrap

bootstrap()
main_handler = router.handler
