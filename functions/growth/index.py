"""Cloud function `growth` (Function URL): my growth (skill graph, XP, level, points) and the operators' points and
fair-play routes. Growth itself is granted by after-commit subscribers (the jobs worker), the nightly level
re-evaluation by the `growth_levels` timer of `timers`."""

from shared.growth.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
