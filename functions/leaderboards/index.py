"""Cloud function `leaderboards` (Function URL): the weekly, monthly, all-time and per-skill boards with "my rank",
the user's leaderboard settings, and the user's badges and title (the badges area's routes, composed in here)."""

from shared.badges.routes import user_router
from shared.leaderboards.routes import router
from shared.runtime import bootstrap, http_function

# The fixed paths (/leaderboards/badges…, /leaderboards/settings) must match before /leaderboards/{board}.
router.routes[:0] = user_router.routes
bootstrap()
main_handler = http_function(router)
