"""Civic groups (市民活動団体): registration, representatives, verification and the public directory."""

# Every page module registers its routes on the same blueprint (views.bp).
from . import directory_views, queue_views, representative_views, views  # noqa: F401
