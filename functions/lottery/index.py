"""Cloud function `lottery` (Function URL): the monthly lottery's public draw records and the user's tickets."""

from shared.lottery.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
