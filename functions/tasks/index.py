"""Cloud function `tasks` (Function URL): publish, edit, cancel, the task hall, task detail."""

from shared.runtime import bootstrap, http_function
from shared.tasks.routes import router

bootstrap()
main_handler = http_function(router)
