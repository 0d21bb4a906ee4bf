"""Regional issues and collaboration projects (地域課題・協働事業): posting, lifecycle, evaluation, proposals."""

from . import feeds, views  # noqa: F401  (routes on the one blueprint)
