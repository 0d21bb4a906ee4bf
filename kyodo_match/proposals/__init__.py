"""Citizen proposals (事業提案制度, IV-3-(2)): proposed by volunteers and verified groups, routed, decided."""

# Every page module registers its routes on the same blueprint (views.bp).
from . import decision_views, views  # noqa: F401
