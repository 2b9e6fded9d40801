"""Cloud function `tasks` (Function URL): publish, edit, cancel, the task hall, task detail."""

from shared.runtime import bootstrap
from shared.tasks.routes import router

bootstrap()
main_handler = router.handler
