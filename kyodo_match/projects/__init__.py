"""Regional issues and collaboration projects (地域課題・協働事業): posting, lifecycle, evaluation, proposals."""

from . import evaluation_views, feeds, partner_views, views  # noqa: F401  (routes on the one blueprint)
