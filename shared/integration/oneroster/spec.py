"""Facts of the OneRoster 1.2 CSV binding (1EdTech, "OneRoster 1.2 CSV Tables"), for the files
this system reads and writes: their names, columns in the standard's order, the columns a
row must fill, and the enumerations. Nothing here knows about this system's models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MANIFEST: Final = "manifest.csv"
MANIFEST_HEADER: Final = ("propertyName", "value")
MANIFEST_VERSION: Final = "1.0"
ONEROSTER_VERSION: Final = "1.2"

# How a file of the bundle is provided (manifest `file.<name>` property).
BULK: Final = "bulk"
DELTA: Final = "delta"
ABSENT: Final = "absent"
PROCESSING_MODES: Final = (ABSENT, BULK, DELTA)

ACTIVE: Final = "active"
TO_BE_DELETED: Final = "tobedeleted"
STATUSES: Final = (ACTIVE, TO_BE_DELETED)

# Extension values the standard allows in every extensible enumeration.
EXTENSION: Final = re.compile(r"^ext:[A-Za-z0-9_.:-]+$")

# Every `file.*` property a 1.2 manifest may carry (the gradebook and resources files too:
# this system ignores them, but they are no error).
FILE_PROPERTIES: Final = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)


@dataclass(frozen=True, slots=True)
class FileSpec:
    name: str  # e.g. "users" (the file is users.csv)
    columns: tuple[str, ...]  # in the standard's order
    required: frozenset[str]  # columns every row must fill (besides status in delta files)
    enums: dict[str, tuple[str, ...]]  # column → allowed values (plus `ext:` extensions)
    lists: frozenset[str] = frozenset()  # comma-separated lists inside one field

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


_COMMON: Final = ("sourcedId", "status", "dateLastModified")

ORG_TYPES: Final = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES: Final = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES: Final = ("homeroom", "scheduled")
ROLE_TYPES: Final = ("primary", "secondary")
ROLES: Final = (
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
)
ENROLLMENT_ROLES: Final = ("administrator", "proctor", "student", "teacher")
SEXES: Final = ("male", "female", "unspecified", "other")
BOOLEANS: Final = ("true", "false")

ORGS: Final = FileSpec(
    "orgs",
    (*_COMMON, "name", "type", "identifier", "parentSourcedId"),
    frozenset({"sourcedId", "name", "type"}),
    {"type": ORG_TYPES},
)
ACADEMIC_SESSIONS: Final = FileSpec(
    "academicSessions",
    (*_COMMON, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"),
    frozenset({"sourcedId", "title", "type", "startDate", "endDate", "schoolYear"}),
    {"type": SESSION_TYPES},
)
COURSES: Final = FileSpec(
    "courses",
    (
        *_COMMON,
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
    frozenset({"sourcedId", "title", "orgSourcedId"}),
    {},
    frozenset({"grades", "subjects", "subjectCodes"}),
)
CLASSES: Final = FileSpec(
    "classes",
    (
        *_COMMON,
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    frozenset(
        {"sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"}
    ),
    {"classType": CLASS_TYPES},
    frozenset({"grades", "termSourcedIds", "subjects", "subjectCodes", "periods"}),
)
USERS: Final = FileSpec(
    "users",
    (
        *_COMMON,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "resourceSourcedIds",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ),
    frozenset({"sourcedId", "enabledUser", "username", "givenName", "familyName"}),
    {"enabledUser": BOOLEANS},
    frozenset({"userIds", "agentSourcedIds", "grades", "resourceSourcedIds"}),
)
ROLES_FILE: Final = FileSpec(
    "roles",
    (
        *_COMMON,
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ),
    frozenset({"sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"}),
    {"roleType": ROLE_TYPES, "role": ROLES},
)
ENROLLMENTS: Final = FileSpec(
    "enrollments",
    (
        *_COMMON,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
    frozenset({"sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"}),
    {"role": ENROLLMENT_ROLES, "primary": BOOLEANS},
)
DEMOGRAPHICS: Final = FileSpec(
    "demographics",
    (
        *_COMMON,
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ),
    frozenset({"sourcedId"}),
    {"sex": SEXES},
)

# The files this system reads (and writes), in the order references run.
ROSTER_FILES: Final = (
    ORGS,
    ACADEMIC_SESSIONS,
    COURSES,
    CLASSES,
    USERS,
    ROLES_FILE,
    ENROLLMENTS,
    DEMOGRAPHICS,
)
BY_NAME: Final = {spec.name: spec for spec in ROSTER_FILES}

# OneRoster 1.1 put one role and the orgs on the user row; 1.2 moved them to roles.csv.
USERS_1_1_COLUMNS: Final = frozenset({"role", "orgSourcedIds"})

# CEDS grade levels (the codes OneRoster's `grades` carry): 01 … 12 are this system's grades.
CEDS_GRADES: Final = {f"{n:02d}": n for n in range(1, 13)}
GRADE_CODES: Final = {n: code for code, n in CEDS_GRADES.items()}

# userIds: a list of {type:identifier}.
USER_ID: Final = re.compile(r"^\{(?P<type>[^:{}]+):(?P<id>[^{}]+)\}$")
