"""The whole schema, one module per domain, re-exported here."""

from .accounts import SELF_SERVICE_ROLES, ConsentRecord, Role, User, UserRole
from .audit import AuditEvent
from .people import (
    DAYPARTS,
    SLOTS,
    TRAVEL_MODES,
    WEEKDAYS,
    CivicGroup,
    Consultation,
    GroupInvitation,
    GroupRepresentative,
    GroupStatus,
    GroupType,
    Qualification,
    SearchOutbox,
    Stage,
    VolunteerProfile,
)
from .reference import ActivityField, Area, Department, District, Skill, SkillCategory
from .types import UTCDateTime, utcnow

__all__ = [
    "DAYPARTS",
    "SLOTS",
    "TRAVEL_MODES",
    "WEEKDAYS",
    "CivicGroup",
    "Consultation",
    "GroupInvitation",
    "GroupRepresentative",
    "GroupStatus",
    "GroupType",
    "Qualification",
    "SearchOutbox",
    "Stage",
    "VolunteerProfile",
    "SELF_SERVICE_ROLES",
    "ActivityField",
    "Area",
    "AuditEvent",
    "ConsentRecord",
    "Department",
    "District",
    "Role",
    "Skill",
    "SkillCategory",
    "UTCDateTime",
    "User",
    "UserRole",
    "utcnow",
]
