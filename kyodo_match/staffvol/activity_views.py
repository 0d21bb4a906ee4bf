"""(routes added below)"""

from .views import bp  # noqa: F401
