"""Cloud function `challenges` (Function URL): the user's challenges and progress; the operators' challenge editor."""

from shared.challenges.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
