"""The adopt program (アダプトプログラム, IV-3-(5)): sections, adoption and agreements, reports, repairs, supplies."""

# Every page module registers its routes on the same blueprint (views.bp).
from . import adoption_views, report_views, section_views, supply_views, views  # noqa: F401
