"""Applications and matches (応募・マッチング): apply, review, confirm, invite, talk, attendance."""

from . import review_views  # noqa: F401  the queue, applicants, invitation and attendance routes on views.bp
