"""The user's own account: details, data export, deletion."""

from . import notification_views  # noqa: F401  (its routes join the account blueprint)
