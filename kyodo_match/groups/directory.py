"""The public directory's queries: ids from the search index, rows from the database, verified only."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import search
from ..extensions import db
from ..labels import GROUP_TYPE_LABELS
from ..models import ActivityField, Area, CivicGroup, District, GroupStatus
from ..pagination import page_count

PER_PAGE = 20


@dataclass
class DirectoryFilters:
    q: str = ""
    field_codes: list[int] = field(default_factory=list)
    district_ids: list[int] = field(default_factory=list)
    group_type: str = ""

    def __post_init__(self):
        if self.group_type not in GROUP_TYPE_LABELS:
            self.group_type = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.field_codes or self.district_ids or self.group_type)

    def args(self) -> dict:
        """The filters as query-string arguments (for the pager's links)."""
        args: dict = {}
        if self.q:
            args["q"] = self.q
        if self.field_codes:
            args["field"] = self.field_codes
        if self.district_ids:
            args["district"] = self.district_ids
        if self.group_type:
            args["type"] = self.group_type
        return args


@dataclass
class DirectoryPage:
    groups: list[CivicGroup]
    total: int
    page: int
    pages: int


def _with_cards(query):
    return query.options(selectinload(CivicGroup.fields), selectinload(CivicGroup.districts),
                         selectinload(CivicGroup.skills))


def directory(filters: DirectoryFilters, page: int = 1) -> DirectoryPage:
    """Verified groups matching the filters: by relevance when searching, by ふりがな otherwise.

    The index holds only verified groups, but rows are filtered again here, in case the index lags behind.
    """
    verified = CivicGroup.status == GroupStatus.VERIFIED.value
    if not filters.active:
        pagination = db.paginate(_with_cards(select(CivicGroup).where(verified))
                                 .order_by(CivicGroup.name_kana, CivicGroup.name, CivicGroup.id),
                                 page=page, per_page=PER_PAGE, error_out=False)
        return DirectoryPage(list(pagination.items), pagination.total or 0, page, pagination.pages or 1)
    found = search.candidate_ids("group", filters.q, districts=filters.district_ids, fields=filters.field_codes,
                                 group_type=filters.group_type or None)
    # The index may lag behind a status change: keep only groups still verified, then cut the page.
    shown = set(db.session.scalars(select(CivicGroup.id).where(verified, CivicGroup.id.in_(found)))) if found else set()
    ids = [i for i in found if i in shown]
    pages = page_count(len(ids), PER_PAGE)
    page_ids = ids[(page - 1) * PER_PAGE:page * PER_PAGE]
    rows = {g.id: g for g in db.session.scalars(_with_cards(select(CivicGroup).where(
        CivicGroup.id.in_(page_ids))))} if page_ids else {}
    return DirectoryPage([rows[i] for i in page_ids if i in rows], len(ids), page, pages)


@dataclass
class FacetChoices:
    fields: list[ActivityField]
    areas: list[Area]


def facet_choices() -> FacetChoices:
    fields = db.session.scalars(select(ActivityField).order_by(ActivityField.code)).all()
    areas = db.session.scalars(select(Area).order_by(Area.position).options(
        selectinload(Area.districts.and_(District.active.is_(True))))).all()
    return FacetChoices(list(fields), list(areas))
