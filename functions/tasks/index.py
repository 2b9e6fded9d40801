"""Cloud function `tasks` (Function URL): publish, edit, cancel, the task hall, task detail."""

from shared.tasks.routes import router
from shared.runtime import bootstrap

bootstrap()
main_handler = router.handler
