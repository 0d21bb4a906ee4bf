"""活動の成果: totals per section and for the whole program, by fiscal year (April–March), and the open-data CSV.

Totals are sums of ActivityReport rows, computed here only, so the pages and the CSV always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..coordination.export import to_csv
from ..extensions import db
from ..i18n import fiscal_year
from ..models import ActivityReport, AdoptAgreement, AdoptSection
from ..models.adopt import AgreementStatus
from .sections import KIND_LABELS, STATUS_LABELS, adopter_names


@dataclass
class Totals:
    activities: int = 0
    participants: int = 0  # 延べ参加人数
    bags: int = 0
    kg_tenths: int = 0

    @property
    def kg(self) -> float:
        return self.kg_tenths / 10

    def add(self, participants: int, bags: int, kg_tenths: int) -> None:
        self.activities += 1
        self.participants += participants or 0
        self.bags += bags or 0
        self.kg_tenths += kg_tenths or 0


@dataclass
class Results:
    total: Totals = field(default_factory=Totals)
    by_year: dict[int, Totals] = field(default_factory=dict)  # newest fiscal year first

    def years(self) -> list[tuple[int, Totals]]:
        return sorted(self.by_year.items(), reverse=True)


def _results(query) -> Results:
    out = Results()
    rows = db.session.execute(query).all()
    for day, participants, bags, kg_tenths in rows:
        out.total.add(participants, bags, kg_tenths)
        out.by_year.setdefault(fiscal_year(day), Totals()).add(participants, bags, kg_tenths)
    return out


_REPORT_COLUMNS = (ActivityReport.activity_date, ActivityReport.participants, ActivityReport.bags,
                   ActivityReport.kg_tenths)


def section_results(section_id: int) -> Results:
    """Activities, participants and garbage of one section, in total and per fiscal year."""
    return _results(select(*_REPORT_COLUMNS).where(ActivityReport.section_id == section_id))


@dataclass
class ProgramResults:
    groups: int
    sections_adopted: int
    length_m: int
    area_m2: int
    reports: Results

    @property
    def km(self) -> float:
        return self.length_m / 1000


def program_results() -> ProgramResults:
    """The whole program: groups holding an active agreement, the length and area of the sections they adopt
    (each section counted once), and the sum of every activity report."""
    active = select(AdoptAgreement.section_id).where(AdoptAgreement.status == AgreementStatus.ACTIVE.value)
    groups = db.session.scalar(select(func.count(func.distinct(AdoptAgreement.group_id)))
                               .where(AdoptAgreement.status == AgreementStatus.ACTIVE.value)) or 0
    count, length, area = db.session.execute(
        select(func.count(AdoptSection.id), func.coalesce(func.sum(AdoptSection.length_m), 0),
               func.coalesce(func.sum(AdoptSection.area_m2), 0))
        .where(AdoptSection.id.in_(active))).one()
    return ProgramResults(groups=groups, sections_adopted=count or 0, length_m=int(length or 0),
                          area_m2=int(area or 0), reports=_results(select(*_REPORT_COLUMNS)))


def results_csv() -> str:
    """One row per section with its public fields and totals (UTF-8 with BOM, CRLF, formula-safe cells)."""
    sections = db.session.scalars(select(AdoptSection).order_by(AdoptSection.id)).all()
    adopters = adopter_names([s.id for s in sections])
    totals: dict[int, Totals] = {}
    for section_id, participants, bags, kg_tenths in db.session.execute(
            select(ActivityReport.section_id, ActivityReport.participants, ActivityReport.bags,
                   ActivityReport.kg_tenths)).all():
        totals.setdefault(section_id, Totals()).add(participants, bags, kg_tenths)
    header = [_("区間番号"), _("区間名"), _("種類"), _("地域"), _("担当課"), _("状態"), _("起点"), _("終点"),
              _("延長（m）"), _("面積（㎡）"), _("里親団体"), _("活動回数"), _("延べ参加人数"), _("ごみ袋（袋）"),
              _("ごみの重さ（kg）")]
    rows = []
    for s in sections:
        t = totals.get(s.id, Totals())
        rows.append([s.id, s.name, str(KIND_LABELS.get(s.kind, s.kind)), s.district.name if s.district else "",
                     s.department.name, str(STATUS_LABELS.get(s.status, s.status)), s.start_point, s.end_point,
                     s.length_m, s.area_m2, adopters.get(s.id, ""), t.activities, t.participants, t.bags,
                     f"{t.kg:.1f}"])
    return to_csv(header, rows)


def public_photos(section_id: int, limit: int = 12) -> list:
    """The photos the group chose to publish from this section's reports, newest first."""
    from ..models import ReportPhoto

    return list(db.session.scalars(
        select(ReportPhoto).join(ActivityReport, ActivityReport.id == ReportPhoto.report_id)
        .where(ActivityReport.section_id == section_id, ReportPhoto.public.is_(True))
        .order_by(ActivityReport.activity_date.desc(), ReportPhoto.id.desc()).limit(limit)))
