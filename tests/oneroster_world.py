"""OneRoster 1.2 CSV bundles built the way real exporters write them, for the roster tests.

`a_bundle()` is a small, valid district in the Shanghai profile:

    school sch-1 "闵行区实验中学, 东校区" (a comma in a quoted name), district org dist-1
    homeroom cls-7-1 七年级(1)班 (grades 07): head teacher t-1; students s-1, s-2
    scheduled sec-math (数学, metadata.cn.homeroom cls-7-1): teacher t-1, students s-1, s-2
    scheduled sec-cn (语文, no homeroom named: found through its students): teacher t-2
    principal a-1; guardian p-1 (parent of s-1, linked from the student's agentSourcedIds)
    s-1 has demographics; s-2 has none (sex and birth date from the G 学籍号)

Files are plain dicts (file → header, rows), changed per test, then zipped with the quirks
asked for: a UTF-8 BOM, CRLF line ends, every field quoted, status/dateLastModified filled.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from shared.integration.oneroster import spec
from tests.db_helpers import student_no

STAMP = "2024-09-01T08:00:00.000Z"
S1_NO = student_no(1)
S2_NO = student_no(2)


@dataclass
class BundleFiles:
    manifest: dict[str, str]
    files: dict[str, tuple[list[str], list[dict[str, str]]]] = field(default_factory=dict)

    def rows(self, name: str) -> list[dict[str, str]]:
        return self.files[name][1]

    def row(self, name: str, sourced_id: str) -> dict[str, str]:
        return next(r for r in self.rows(name) if r["sourcedId"] == sourced_id)

    def zip(
        self,
        *,
        bom: bool = True,
        crlf: bool = True,
        quote_all: bool = False,
        filled_status: bool = False,
        skip: tuple[str, ...] = (),
    ) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            manifest = [{"propertyName": k, "value": v} for k, v in self.manifest.items()]
            package.writestr(
                "manifest.csv", _csv(["propertyName", "value"], manifest, bom, crlf, quote_all)
            )
            for name, (header, rows) in self.files.items():
                if name in skip:
                    continue
                if filled_status:
                    rows = [{"status": "active", "dateLastModified": STAMP, **r} for r in rows]
                package.writestr(f"{name}.csv", _csv(header, rows, bom, crlf, quote_all))
        return buffer.getvalue()


def _csv(header: list[str], rows: list[dict[str, str]], bom: bool, crlf: bool, q: bool) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(
        text,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if q else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode()


def manifest(**modes: str) -> dict[str, str]:
    provided = {
        "orgs": "bulk",
        "academicSessions": "bulk",
        "courses": "bulk",
        "classes": "bulk",
        "users": "bulk",
        "roles": "bulk",
        "enrollments": "bulk",
        "demographics": "bulk",
        **modes,
    }
    values = {"manifest.version": "1.0", "oneroster.version": "1.2"}
    for name in spec.FILE_PROPERTIES:
        values[f"file.{name}"] = provided.get(name, "absent")
    return values | {"source.systemName": "某学籍系统", "source.systemCode": "xj"}


def _user(sid: str, family: str, given: str, **values: str) -> dict[str, str]:
    return {
        "sourcedId": sid,
        "enabledUser": "true",
        "username": sid,
        "familyName": family,
        "givenName": given,
        **values,
    }


def _role(user: str, role: str, org: str = "sch-1") -> dict[str, str]:
    return {
        "sourcedId": f"r-{user}-{role}",
        "userSourcedId": user,
        "roleType": "primary",
        "role": role,
        "orgSourcedId": org,
    }


def _enrol(cls: str, user: str, role: str, primary: str = "false") -> dict[str, str]:
    return {
        "sourcedId": f"e-{cls}-{user}",
        "classSourcedId": cls,
        "schoolSourcedId": "sch-1",
        "userSourcedId": user,
        "role": role,
        "primary": primary,
    }


def a_bundle() -> BundleFiles:
    users_header = [*spec.USERS.columns, "metadata.cn.guardianConsent", "metadata.cn.relation"]
    classes_header = [*spec.CLASSES.columns, "metadata.cn.homeroom"]
    class_common = {"schoolSourcedId": "sch-1", "termSourcedIds": "sy-2025", "grades": "07"}
    return BundleFiles(
        manifest(),
        {
            "orgs": (
                list(spec.ORGS.columns),
                [
                    {"sourcedId": "dist-1", "name": "闵行区教育局", "type": "district"},
                    {
                        "sourcedId": "sch-1",
                        "name": "闵行区实验中学, 东校区",
                        "type": "school",
                        "parentSourcedId": "dist-1",
                    },
                ],
            ),
            "academicSessions": (
                list(spec.ACADEMIC_SESSIONS.columns),
                [
                    {
                        "sourcedId": "sy-2025",
                        "title": "2024-2025学年",
                        "type": "schoolYear",
                        "startDate": "2024-08-01",
                        "endDate": "2025-07-31",
                        "schoolYear": "2025",
                    }
                ],
            ),
            "courses": (
                list(spec.COURSES.columns),
                [
                    {"sourcedId": "c-7", "title": "七年级", "orgSourcedId": "sch-1"},
                    {
                        "sourcedId": "c-7-cn",
                        "title": "七年级语文",
                        "orgSourcedId": "sch-1",
                        "subjects": "语文",
                    },
                ],
            ),
            "classes": (
                classes_header,
                [
                    {
                        "sourcedId": "cls-7-1",
                        "title": "七年级(1)班",
                        "courseSourcedId": "c-7",
                        "classType": "homeroom",
                        **class_common,
                    },
                    {
                        "sourcedId": "sec-math",
                        "title": "七年级(1)班 数学",
                        "courseSourcedId": "c-7",
                        "classType": "scheduled",
                        "subjects": "数学",
                        "metadata.cn.homeroom": "cls-7-1",
                        **class_common,
                    },
                    {  # no subjects of its own: its course's; no homeroom: its students'
                        "sourcedId": "sec-cn",
                        "title": "七年级(1)班 语文",
                        "courseSourcedId": "c-7-cn",
                        "classType": "scheduled",
                        **class_common,
                    },
                ],
            ),
            "users": (
                users_header,
                [
                    _user("t-1", "王", "老师", sms="13800000001", email="wang@school.example"),
                    _user("t-2", "李", "老师"),
                    _user("a-1", "赵", "校长"),
                    _user(
                        "s-1",
                        "张",
                        "小明",
                        userIds=f"{{学籍号:{S1_NO}}},{{身份证号:{S1_NO[1:]}}}",
                        identifier="20240101",
                        agentSourcedIds="p-1",
                        **{"metadata.cn.guardianConsent": "true"},
                    ),
                    _user("s-2", "欧阳", "小红", userIds=f"{{学籍号:{S2_NO}}}"),
                    _user(
                        "p-1", "张", "大明", sms="13900000001", **{"metadata.cn.relation": "父亲"}
                    ),
                ],
            ),
            "roles": (
                list(spec.ROLES_FILE.columns),
                [
                    _role("t-1", "teacher"),
                    _role("t-2", "teacher"),
                    _role("a-1", "principal"),
                    _role("s-1", "student"),
                    _role("s-2", "student"),
                    _role("p-1", "parent"),
                ],
            ),
            "enrollments": (
                list(spec.ENROLLMENTS.columns),
                [
                    _enrol("cls-7-1", "t-1", "teacher", "true"),
                    _enrol("cls-7-1", "s-1", "student"),
                    _enrol("cls-7-1", "s-2", "student"),
                    _enrol("sec-math", "t-1", "teacher"),
                    _enrol("sec-math", "s-1", "student"),
                    _enrol("sec-math", "s-2", "student"),
                    _enrol("sec-cn", "t-2", "teacher"),
                    _enrol("sec-cn", "s-1", "student"),
                ],
            ),
            "demographics": (
                list(spec.DEMOGRAPHICS.columns),
                [
                    {
                        "sourcedId": "s-1",
                        "birthDate": f"{S1_NO[7:11]}-{S1_NO[11:13]}-{S1_NO[13:15]}",
                        "sex": "male" if int(S1_NO[-2]) % 2 else "female",
                    }
                ],
            ),
        },
    )
