"""Cloud function `admin` (Function URL): the operators' console API: review queue, rules, failed jobs."""

from shared.admin.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
