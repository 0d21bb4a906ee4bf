"""事業提案: the public list of proposals and their outcomes, proposing, routing and deciding."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("proposals", __name__)
