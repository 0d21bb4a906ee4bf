"""活動団体の取組一覧: the public directory of verified groups, with search and facets kept in the URL."""

from __future__ import annotations

from flask import request

from ..access import public
from ..htmx import render
from ..pagination import int_list_arg, page_arg
from . import directory
from .views import bp


@bp.route("/")
@public
def index():
    """活動団体の一覧: full-text search (q) and facets (field, district, type); htmx swaps #group-results."""
    filters = directory.DirectoryFilters(
        q=request.args.get("q", "")[:100].strip(), field_codes=int_list_arg("field"),
        district_ids=int_list_arg("district"), group_type=request.args.get("type", ""),
    )
    result = directory.directory(filters, page=page_arg())
    return render("groups/index.html", block="results", filters=filters, result=result,
                  choices=directory.facet_choices())
