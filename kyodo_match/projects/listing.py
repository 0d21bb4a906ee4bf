"""The public list of regional issues and projects (/issues): search text, facets, sort and pages.

The search text goes through the index (candidates only); every facet is a SQL condition on the database,
which is the source of truth, so a lagging index never shows an unpublished project or a wrong count.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from .. import search
from ..extensions import db
from ..models import Project, ProjectStatus
from ..models.projects import project_district, project_field
from ..pagination import page_count
from .lifecycle import PUBLIC_STATUSES
from .services import DOMAIN_LABELS, METHOD_LABELS


@dataclass
class ListFilters:
    """What the public list is narrowed by; every value comes from the query string and is checked here."""

    q: str = ""
    fields: list[int] = dataclass_field(default_factory=list)
    districts: list[int] = dataclass_field(default_factory=list)
    domains: list[str] = dataclass_field(default_factory=list)
    methods: list[str] = dataclass_field(default_factory=list)
    statuses: list[str] = dataclass_field(default_factory=list)
    open_now: bool = False  # 募集中のみ
    days: str = ""  # "weekday" / "weekend"
    deadline: int | None = None  # 締切まで N 日以内
    sort: str = "new"  # new / deadline

    def args(self) -> dict:
        """The filters as query-string arguments (for page links and hx-push-url)."""
        out: dict = {}
        if self.q:
            out["q"] = self.q
        for name, values in (("field", self.fields), ("district", self.districts), ("domain", self.domains),
                             ("method", self.methods), ("status", self.statuses)):
            if values:
                out[name] = values
        if self.open_now:
            out["open"] = "1"
        if self.days:
            out["days"] = self.days
        if self.deadline:
            out["deadline"] = self.deadline
        if self.sort != "new":
            out["sort"] = self.sort
        return out

    @property
    def narrowed(self) -> bool:
        return bool(set(self.args()) - {"sort"})


DAY_FILTERS = {"weekday": _l("平日に活動がある"), "weekend": _l("土日に活動がある")}
DEADLINE_FILTERS = {7: _l("1週間以内"), 30: _l("1か月以内")}
SORTS = {"new": _l("新しい順"), "deadline": _l("締切が近い順")}


def list_filters(args) -> ListFilters:
    """ListFilters from a MultiDict of query arguments; unknown values are dropped, never an error."""

    def ints(name: str) -> list[int]:
        return [int(v) for v in args.getlist(name)[:50] if v.isdigit() and len(v) < 10]

    def known(name: str, allowed) -> list[str]:
        return [v for v in dict.fromkeys(args.getlist(name)[:20]) if v in allowed]

    deadline = args.get("deadline", "")
    return ListFilters(
        q=args.get("q", "")[:100].strip(), fields=ints("field"), districts=ints("district"),
        domains=known("domain", DOMAIN_LABELS), methods=known("method", METHOD_LABELS),
        statuses=known("status", PUBLIC_STATUSES), open_now=args.get("open") == "1",
        days=args.get("days") if args.get("days") in DAY_FILTERS else "",
        deadline=int(deadline) if deadline.isdigit() and int(deadline) in DEADLINE_FILTERS else None,
        sort=args.get("sort") if args.get("sort") in SORTS else "new",
    )


@dataclass
class ListPage:
    projects: list[Project]
    total: int
    page: int
    pages: int


def _filtered(f: ListFilters, today: date):
    base = select(Project).where(Project.status.in_(PUBLIC_STATUSES))
    if f.q:
        ids = search.candidate_ids("project", f.q)
        base = base.where(Project.id.in_(ids or [-1]))
    if f.statuses:
        base = base.where(Project.status.in_(f.statuses))
    if f.open_now or f.deadline:
        base = base.where(Project.status == ProjectStatus.RECRUITING.value, Project.recruit_until >= today,
                          or_(Project.recruit_from.is_(None), Project.recruit_from <= today))
    if f.deadline:
        base = base.where(Project.recruit_until <= today + timedelta(days=f.deadline))
    if f.domains:
        base = base.where(Project.domain.in_(f.domains))
    if f.methods:
        base = base.where(Project.method.in_(f.methods))
    if f.days == "weekday":
        base = base.where(Project.on_weekdays.is_(True))
    elif f.days == "weekend":
        base = base.where(Project.on_weekends.is_(True))
    if f.fields:
        base = base.where(Project.id.in_(select(project_field.c.project_id).where(
            project_field.c.field_code.in_(f.fields))))
    if f.districts:
        # A city-wide project (no districts) concerns every district, so it stays in the list.
        in_district = select(project_district.c.project_id).where(project_district.c.district_id.in_(f.districts))
        anywhere = ~exists().where(project_district.c.project_id == Project.id)
        base = base.where(or_(Project.id.in_(in_district), anywhere))
    return base


def public_list(f: ListFilters | str = "", page: int = 1, per_page: int = 20, *, today: date | None = None) -> ListPage:
    """Published projects narrowed by ``f``; the search text goes through the index, then the database filters
    again (only published rows, every facet), sorted newest first or by the nearest deadline."""
    if isinstance(f, str):
        f = ListFilters(q=f)
    today = today or date.today()
    base = _filtered(f, today)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = page_count(total, per_page)
    page = min(page, pages)
    if f.sort == "deadline":
        order = (Project.recruit_until.asc().nulls_last(), Project.id.desc())
    else:
        order = (Project.published_at.desc().nulls_last(), Project.id.desc())
    rows = db.session.scalars(
        base.options(selectinload(Project.department), selectinload(Project.fields),
                     selectinload(Project.districts))
        .order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    return ListPage(list(rows), total, page, pages)
