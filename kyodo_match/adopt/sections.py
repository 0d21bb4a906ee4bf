"""区間 (adopt sections): who may post and edit them, GeoJSON checks, the public list and the open-data map.

Sections are posted by the managing department's staff or by the centre (coordinators, administrators).
Every section is public (the schema has no draft); only public fields ever leave through the list, the page and
the GeoJSON export — agreement contacts never do.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..access import is_centre as is_overseer
from ..errors import FieldRefused, NotAllowed
from ..extensions import db
from ..models import AdoptAgreement, AdoptSection, CivicGroup, Department, District, Role
from ..models.adopt import AgreementStatus, SectionKind, SectionStatus
from ..pagination import page_count

KIND_LABELS = {SectionKind.ROAD.value: _l("道路"), SectionKind.RIVER.value: _l("河川"),
               SectionKind.PARK.value: _l("公園"), SectionKind.OTHER.value: _l("その他")}
STATUS_LABELS = {SectionStatus.OPEN.value: _l("募集中"), SectionStatus.NEGOTIATING.value: _l("協議中"),
                 SectionStatus.ACTIVE.value: _l("活動中"), SectionStatus.PAUSED.value: _l("休止"),
                 SectionStatus.ENDED.value: _l("終了")}

# GeoJSON limits: lines and areas only, inside roughly Gifu prefecture, small enough to draw on a phone.
GEOMETRY_TYPES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")
LON_RANGE = (136.0, 138.0)
LAT_RANGE = (35.0, 36.5)
MAX_POINTS = 2000
MAX_GEOJSON_CHARS = 200_000
MAX_METRES = 10_000_000


# --- who may do what ------------------------------------------------------------------------------------------


def can_create(user) -> bool:
    """Staff with a department (for that department), coordinators and administrators (for any)."""
    if is_overseer(user):
        return True
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.STAFF) and user.department_id)


def can_manage(user, section: AdoptSection) -> bool:
    """Edit a section: staff of its managing department, coordinators and administrators."""
    if is_overseer(user):
        return True
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.STAFF)
                and user.department_id == section.department_id)


# --- GeoJSON --------------------------------------------------------------------------------------------------

def _refuse(message) -> FieldRefused:
    return FieldRefused("geometry_text", str(message))


def _positions(coords, depth: int) -> list[list]:
    """The positions of a coordinates array nested ``depth`` levels deep (1: a line, 2: a polygon …)."""
    if not isinstance(coords, list):
        raise _refuse(_l("座標（coordinates）は配列で書いてください。"))
    if depth == 0:
        return [coords]
    out: list = []
    for part in coords:
        out.extend(_positions(part, depth - 1))
        if len(out) > MAX_POINTS:
            raise _refuse(_l("点の数が多すぎます（%(n)d点まで）。線や形を簡単にしてください。", n=MAX_POINTS))
    return out


def _check_position(pos) -> list[float]:
    if not (isinstance(pos, list) and 2 <= len(pos) <= 3
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)):
        raise _refuse(_l("座標は [経度, 緯度] の数の組で書いてください。"))
    lon, lat = float(pos[0]), float(pos[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise _refuse(_l("座標に数でない値があります。"))
    if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        raise _refuse(_l("岐阜県の範囲（経度136〜138度、緯度35〜36.5度）の外の座標があります。"
                         "経度と緯度の順番（[経度, 緯度]）も確認してください。"))
    return [round(lon, 7), round(lat, 7)]


def _check_rings(rings) -> list:
    checked = []
    for ring in rings if isinstance(rings, list) else [None]:
        if not isinstance(ring, list) or len(ring) < 4:
            raise _refuse(_l("面（Polygon）の輪郭は4点以上で、最初と最後を同じ点にしてください。"))
        points = [_check_position(p) for p in ring]
        if points[0] != points[-1]:
            raise _refuse(_l("面（Polygon）の輪郭は、最初と最後を同じ点にして閉じてください。"))
        checked.append(points)
    return checked


def _check_line(line) -> list:
    if not isinstance(line, list) or len(line) < 2:
        raise _refuse(_l("線（LineString）は2点以上で書いてください。"))
    return [_check_position(p) for p in line]


def parse_geometry(text: str | None) -> dict | None:
    """A GeoJSON geometry from the form's text: None when empty; a LineString, MultiLineString, Polygon or
    MultiPolygon (a Feature holding one is accepted) with at most MAX_POINTS positions inside roughly Gifu.
    Raises FieldRefused("geometry_text", …) in Japanese otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_GEOJSON_CHARS:
        raise _refuse(_l("GeoJSONが長すぎます（%(n)d文字まで）。", n=MAX_GEOJSON_CHARS))
    try:
        data = json.loads(text)
    except ValueError:
        raise _refuse(_l("GeoJSONとして読めません。括弧やカンマ、引用符を確認してください。")) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in GEOMETRY_TYPES:
        raise _refuse(_l("線（LineString・MultiLineString）か面（Polygon・MultiPolygon）のGeoJSONを入力してください。"))
    kind, coords = data["type"], data.get("coordinates")
    depth = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}[kind]
    _positions(coords, depth)  # counts the points (and refuses too many) before looking at each one
    if kind == "LineString":
        checked = _check_line(coords)
    elif kind == "MultiLineString":
        checked = [_check_line(line) for line in coords] or _check_line([])
    elif kind == "Polygon":
        checked = _check_rings(coords) or _check_rings(None)
    else:
        checked = [_check_rings(poly) for poly in coords] or _check_rings(None)
    return {"type": kind, "coordinates": checked}


# --- posting and editing --------------------------------------------------------------------------------------

FIELDS = ("name", "kind", "district_id", "description", "start_point", "end_point", "length_m", "area_m2",
          "min_activities_per_year", "status")


def _apply(section: AdoptSection, values: dict) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise FieldRefused("name", str(_l("区間の名前を入力してください。")))
    if values.get("kind") not in KIND_LABELS:
        raise FieldRefused("kind", str(_l("種類を選んでください。")))
    if values.get("status") not in STATUS_LABELS:
        raise FieldRefused("status", str(_l("状態を選んでください。")))
    for name_ in ("length_m", "area_m2"):
        value = values.get(name_)
        if value is not None and not (0 <= value <= MAX_METRES):
            raise FieldRefused(name_, str(_l("0以上の数で入力してください。")))
    if (values.get("min_activities_per_year") or 0) < 1:
        raise FieldRefused("min_activities_per_year", str(_l("年1回以上にしてください。")))
    district_id = values.get("district_id")
    if district_id is not None and db.session.get(District, district_id) is None:
        raise FieldRefused("district_id", str(_l("地域を選び直してください。")))
    geometry = parse_geometry(values.get("geometry_text"))
    for key in FIELDS:
        if key in values:
            value = values[key]
            setattr(section, key, value.strip() if isinstance(value, str) else value)
    section.name = name
    section.geometry = geometry


def create_section(department_id: int | None, user, values: dict) -> AdoptSection:
    """Post a section for ``department_id``: staff for their own department, overseers for any active one.
    Raises NotAllowed, or FieldRefused for a bad value (nothing is written)."""
    department = db.session.get(Department, department_id) if department_id else None
    if department is None or not department.active:
        if not is_overseer(user):  # staff have no department field: theirs is gone or inactive
            raise NotAllowed(str(_l("担当課が登録されていないため、区間を登録できません。管理者に連絡してください。")))
        raise FieldRefused("department_id", str(_l("担当課を選んでください。")))
    if not is_overseer(user) and not (can_create(user) and user.department_id == department.id):
        raise NotAllowed(str(_l("自分の課の区間だけを登録できます。")))
    section = AdoptSection(department_id=department.id, created_by_id=user.id)
    _apply(section, values)
    db.session.add(section)
    db.session.flush()
    return section


def update_section(section: AdoptSection, user, values: dict) -> AdoptSection:
    """Edit a section (its department stays). Raises NotAllowed, or FieldRefused for a bad value."""
    if not can_manage(user, section):
        raise NotAllowed()
    _apply(section, values)
    db.session.flush()
    return section


def form_data(section: AdoptSection) -> dict:
    data = {key: getattr(section, key) for key in FIELDS}
    data["geometry_text"] = json.dumps(section.geometry, ensure_ascii=False) if section.geometry else ""
    data["department_id"] = section.department_id
    return data


def load_section(section_id: int) -> AdoptSection | None:
    return db.session.scalar(select(AdoptSection).where(AdoptSection.id == section_id)
                             .options(selectinload(AdoptSection.district), selectinload(AdoptSection.department)))


def choices() -> dict:
    districts = db.session.scalars(select(District).where(District.active.is_(True))
                                   .order_by(District.position, District.id)).all()
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.position, Department.id)).all()
    return {"districts": list(districts), "departments": list(departments)}


# --- the public list ------------------------------------------------------------------------------------------

@dataclass
class SectionFilters:
    """Kinds, districts and statuses from the query string; unknown values are dropped, never an error."""

    kinds: list[str] = dataclass_field(default_factory=list)
    districts: list[int] = dataclass_field(default_factory=list)
    statuses: list[str] = dataclass_field(default_factory=list)

    def args(self) -> dict:
        out: dict = {}
        for name, values in (("kind", self.kinds), ("district", self.districts), ("status", self.statuses)):
            if values:
                out[name] = values
        return out

    @property
    def narrowed(self) -> bool:
        return bool(self.args())


def section_filters(args) -> SectionFilters:
    def known(name: str, allowed) -> list[str]:
        return [v for v in dict.fromkeys(args.getlist(name)[:10]) if v in allowed]

    districts = [int(v) for v in dict.fromkeys(args.getlist("district")[:50]) if v.isdigit() and len(v) < 10]
    return SectionFilters(kinds=known("kind", KIND_LABELS), districts=districts,
                          statuses=known("status", STATUS_LABELS))


def _filtered(f: SectionFilters):
    query = select(AdoptSection)
    if f.kinds:
        query = query.where(AdoptSection.kind.in_(f.kinds))
    if f.districts:
        query = query.where(AdoptSection.district_id.in_(f.districts))
    if f.statuses:
        query = query.where(AdoptSection.status.in_(f.statuses))
    return query


# 募集中 first: that is what a group looking for a section wants to see.
_STATUS_ORDER = case({s: i for i, s in enumerate(STATUS_LABELS)}, value=AdoptSection.status, else_=len(STATUS_LABELS))


@dataclass
class SectionPage:
    sections: list[AdoptSection]
    total: int
    page: int
    pages: int
    adopters: dict[int, str]


def public_list(f: SectionFilters, page: int = 1, per_page: int = 20) -> SectionPage:
    """Sections narrowed by ``f``, 募集中 first then by name, one page of ``per_page``, with their adopters."""
    base = _filtered(f)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = page_count(total, per_page)
    page = min(max(page, 1), pages)
    rows = db.session.scalars(base.options(selectinload(AdoptSection.district),
                                           selectinload(AdoptSection.department))
                              .order_by(_STATUS_ORDER, AdoptSection.name, AdoptSection.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return SectionPage(list(rows), total, page, pages, adopter_names([s.id for s in rows]))


def adopter_names(section_ids: list[int]) -> dict[int, str]:
    """{section id: the public name of the group holding its active agreement (合意書)}; read only."""
    if not section_ids:
        return {}
    rows = db.session.execute(
        select(AdoptAgreement.section_id, CivicGroup.name).join(CivicGroup, CivicGroup.id == AdoptAgreement.group_id)
        .where(AdoptAgreement.section_id.in_(section_ids), AdoptAgreement.status == AgreementStatus.ACTIVE.value)
        .order_by(AdoptAgreement.starts_on, AdoptAgreement.id)).all()
    return {section_id: name for section_id, name in rows}


# --- open data: GeoJSON ---------------------------------------------------------------------------------------

def feature_collection(f: SectionFilters, url_for_section, only_id: int | None = None) -> dict:
    """Sections with a geometry as a GeoJSON FeatureCollection; properties are public fields only."""
    query = _filtered(f)
    if only_id is not None:
        query = query.where(AdoptSection.id == only_id)
    sections = db.session.scalars(query.options(selectinload(AdoptSection.district),
                                                selectinload(AdoptSection.department))
                                  .order_by(AdoptSection.id).limit(5000)).all()
    # An empty geometry may be stored as JSON null rather than SQL NULL, so it is filtered here.
    sections = [s for s in sections if s.geometry]
    adopters = adopter_names([s.id for s in sections])
    features = [{
        "type": "Feature",
        "id": s.id,
        "geometry": s.geometry,
        "properties": {
            "id": s.id, "name": s.name, "kind": s.kind, "kind_label": str(KIND_LABELS.get(s.kind, s.kind)),
            "status": s.status, "status_label": str(STATUS_LABELS.get(s.status, s.status)),
            "district": s.district.name if s.district else None, "department": s.department.name,
            "start_point": s.start_point, "end_point": s.end_point, "length_m": s.length_m, "area_m2": s.area_m2,
            "adopter": adopters.get(s.id), "url": url_for_section(s.id),
        },
    } for s in sections]
    return {"type": "FeatureCollection", "features": features}
