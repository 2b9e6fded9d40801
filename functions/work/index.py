"""Cloud function `work` (Function URL): delivery, revision, acceptance, ratings."""

from shared.runtime import bootstrap, http_function
from shared.work.routes import router

bootstrap()
main_handler = http_function(router)
