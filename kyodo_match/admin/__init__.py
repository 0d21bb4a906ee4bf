"""Administration: users and roles, the audit log, reference data."""

# The reference-data pages live in their own module on the same blueprint (views.bp).
from . import reference_views, views  # noqa: F401
