"""Cloud function `work` (Function URL): delivery, revision, acceptance, ratings."""

from shared.runtime import bootstrap
from shared.work.routes import router

bootstrap()
main_handler = router.handler
