"""Cloud function `checkin` (Function URL): the daily challenge check-in — streaks, freezes, the reminder, repairs."""

from shared.challenges.checkin_routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
