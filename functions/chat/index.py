"""Cloud function `chat` (Function URL): task conversations, messages, read receipts, export and reports."""

from shared.chat.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
