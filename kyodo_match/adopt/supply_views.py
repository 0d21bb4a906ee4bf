"""アダプトプログラム: supply_views (routes on views.bp)."""

from __future__ import annotations

from .views import bp  # noqa: F401
