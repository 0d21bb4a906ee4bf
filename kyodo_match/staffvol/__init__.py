"""1課1ボランティア (IV-6-(2)-④): city staff volunteering by department — activities, sign-ups with a waiting list,
attendance, each person's calendar, and the yearly picture for 市民協働課."""

# Every page module registers its routes on the same blueprint (views.bp).
from . import activity_views, calendar_views, history_views, overview_views, views  # noqa: F401
