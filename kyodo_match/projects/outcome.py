"""成果の報告・改善・成果の公表 (V-5-②, V-6): the outcome report, its files, and the public results.

Files are PDF, JPEG or PNG, recognised by their first bytes (never by the name the browser sent), at most 5 MB,
stored under a random server-chosen name in ``<uploads>/projects/<project_id>/``. Images are decoded and
re-encoded, so EXIF (GPS position, camera, time) and every other metadata block are left behind.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import uploads
from ..errors import Conflict, NotAllowed
from ..extensions import db
from ..models import Project, ProjectFile, ProjectStatus
from ..pagination import page_count
from .lifecycle import can_manage, is_partner

MAX_TEXT = 4000
MAX_BYTES, PDF, JPEG, PNG, EXTENSIONS = uploads.MAX_BYTES, uploads.PDF, uploads.JPEG, uploads.PNG, uploads.EXTENSIONS
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


# --- who may do what ------------------------------------------------------------------------------------------

def can_view_report(user, project: Project) -> bool:
    """The report while it is being written, and every file: the project's managers and partners."""
    return can_manage(user, project) or is_partner(user, project)


def can_download(user, file: ProjectFile) -> bool:
    """Public files of a closed project to anyone (成果の公表); every file to managers and partners."""
    project = file.project
    if file.public and project.status == ProjectStatus.CLOSED:
        return True
    return can_view_report(user, project)


def _require_manager(actor, project: Project, *statuses: str) -> None:
    if not can_manage(actor, project):
        raise NotAllowed()
    if project.status not in statuses:
        raise Conflict(_("成果の報告は「評価中」の事業にだけ記入できます。"))


# --- the report -----------------------------------------------------------------------------------------------

def save_outcome(project: Project, actor, *, achieved: str, figures: str, improvement: str) -> None:
    """Record what was achieved against the 成果目標, the figures, and the improvements agreed with the partner
    (改善). Any of them may be saved unfinished; closing the project needs 達成したこと and 改善.

    Raises NotAllowed (403) for someone who does not manage the project, Conflict (409) outside 評価.
    """
    _require_manager(actor, project, ProjectStatus.EVALUATING)
    project.outcome_achieved = (achieved or "").strip()[:MAX_TEXT]
    project.outcome_figures = (figures or "").strip()[:MAX_TEXT]
    project.improvement_notes = (improvement or "").strip()[:MAX_TEXT]


# --- files ----------------------------------------------------------------------------------------------------

sniff = uploads.sniff


def clean_name(name: str | None, content_type: str) -> str:
    """A name safe to show and to send back: no path, no control or reserved characters, at most 120 characters,
    ending with the extension of what the file really is."""
    base = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = _UNSAFE_NAME.sub("_", base).strip(" ._")
    if "." in stem:
        stem = stem.rsplit(".", 1)[0].strip(" ._")
    ext = EXTENSIONS[content_type]
    return (stem or _("ファイル"))[:120 - len(ext)] + ext


def project_dir(root: Path, project_id: int) -> Path:
    return Path(root) / "projects" / str(int(project_id))


def stored_path(root: Path, file: ProjectFile) -> Path:
    return project_dir(root, file.project_id) / file.stored_name


def add_file(project: Project, actor, stream, filename: str | None, *, public: bool, root: Path) -> ProjectFile:
    """Attach a PDF, JPEG or PNG (≤ 5 MB) to the outcome report; images are stored without their metadata.

    ``stream`` is read at most 5 MB + 1 byte. Nothing is written (no row, no file) when it is refused.
    Raises NotAllowed (403), Conflict (409) outside 評価, FieldRefused (422, field ``file``) for a file that is
    too large or is not really a PDF, JPEG or PNG.
    """
    _require_manager(actor, project, ProjectStatus.EVALUATING)
    data, content_type = uploads.checked(stream, "file")
    row = ProjectFile(project_id=project.id, original_name=clean_name(filename, content_type),
                      stored_name=uploads.new_name(), content_type=content_type, size=len(data),
                      public=bool(public), uploaded_by_id=actor.id)
    uploads.store(project_dir(root, project.id), data, row.stored_name)
    project.files.append(row)
    db.session.add(row)
    return row


def delete_file(project: Project, actor, file: ProjectFile) -> None:
    """Remove a file from the report while it is being written. The caller commits, then deletes
    the bytes at :func:`stored_path`. Raises NotAllowed (403), Conflict (409) outside 評価."""
    _require_manager(actor, project, ProjectStatus.EVALUATING)
    db.session.delete(file)


def set_file_public(project: Project, actor, file: ProjectFile, public: bool) -> None:
    """Choose whether the file is published with the results. Also allowed after 完了, so that a file can be
    withdrawn from the public page. Raises NotAllowed (403), Conflict (409) before 評価."""
    _require_manager(actor, project, ProjectStatus.EVALUATING, ProjectStatus.CLOSED)
    file.public = bool(public)


def load_file(project_id: int, file_id: int) -> ProjectFile | None:
    return db.session.scalar(select(ProjectFile).where(ProjectFile.id == file_id, ProjectFile.project_id == project_id)
                             .options(selectinload(ProjectFile.project).selectinload(Project.partners)))


# --- 成果の公表 -------------------------------------------------------------------------------------------------

@dataclass
class ResultsPage:
    projects: list[Project]
    total: int
    page: int
    pages: int


def public_results(page: int, per_page: int = 20) -> ResultsPage:
    """Every closed project (完了), newest first, with its department and files loaded up front."""
    base = select(Project).where(Project.status == ProjectStatus.CLOSED)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = page_count(total, per_page)
    page = min(page, pages)
    rows = db.session.scalars(
        base.options(selectinload(Project.department), selectinload(Project.files))
        .order_by(Project.closed_at.desc().nulls_last(), Project.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return ResultsPage(list(rows), total, page, pages)
