"""The coordinator's desk at the 市民活動センター: every profile, consultations (相談記録), step-up stages, CSV."""

# Consultation records and stage changes live in their own module on the same blueprint (views.bp).
from . import casework, views  # noqa: F401
