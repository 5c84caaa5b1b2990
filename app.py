"""The HTTP API (Chalice). Routes only: each binds a path to one service in `chalicelib/`,
through `Api.route`, which authenticates, parses, calls and maps errors in one place. Nothing
here builds clients at import time."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice

from chalicelib.api import Api
from chalicelib.health import HealthView, health_status
from chalicelib.services import directory, records
from chalicelib.views import (
    ClassPage,
    ClassView,
    MeView,
    PageQuery,
    RecordDetailView,
    RecordPage,
    SchoolPage,
    SchoolView,
    StudentPage,
    StudentView,
    UserPage,
    UserView,
)

app = Chalice(app_name="growth-api")
api = Api(app, title="学生过程性成长数据管理系统 API", version="1")
route = api.route


@route("/v1/health", "GET", summary="健康检查", tag="system", public=True, response=HealthView)
def health() -> HealthView:
    return health_status()


@route("/v1/openapi.json", "GET", summary="本 API 的 OpenAPI 3.1 文档", tag="system", public=True)
def openapi() -> dict[str, Any]:
    return api.openapi()


# Who am I
route("/v1/me", "GET", summary="当前用户及其可见范围", tag="me", response=MeView)(directory.me)

# Schools
route(
    "/v1/schools", "GET", summary="学校列表", tag="schools", query=PageQuery, response=SchoolPage
)(directory.list_schools)
route(
    "/v1/schools",
    "POST",
    summary="新建学校（区管理员）",
    tag="schools",
    body=directory.SchoolCreate,
    response=SchoolView,
    status=201,
)(directory.create_school)
route("/v1/schools/{school_id}", "GET", summary="学校", tag="schools", response=SchoolView)(
    directory.get_school
)

# Classes
route(
    "/v1/schools/{school_id}/classes",
    "GET",
    summary="学校的班级",
    tag="classes",
    query=PageQuery,
    response=ClassPage,
)(directory.list_classes)
route(
    "/v1/schools/{school_id}/classes",
    "POST",
    summary="新建班级（校管理员）",
    tag="classes",
    body=directory.ClassCreate,
    response=ClassView,
    status=201,
)(directory.create_class)
route("/v1/classes/{class_id}", "GET", summary="班级", tag="classes", response=ClassView)(
    directory.get_class
)

# Staff and teaching assignments
route(
    "/v1/schools/{school_id}/staff",
    "GET",
    summary="学校的教职工",
    tag="staff",
    query=PageQuery,
    response=UserPage,
)(directory.list_staff)
route(
    "/v1/schools/{school_id}/staff",
    "POST",
    summary="新增教职工",
    tag="staff",
    body=directory.StaffCreate,
    response=UserView,
    status=201,
)(directory.create_staff)
route(
    "/v1/classes/{class_id}/assignments",
    "POST",
    summary="安排任课教师",
    tag="staff",
    body=directory.AssignmentCreate,
    response=ClassView,
    status=201,
)(directory.add_assignment)
route(
    "/v1/classes/{class_id}/assignments/{teacher_id}",
    "DELETE",
    summary="取消任课安排",
    tag="staff",
    body=directory.AssignmentCreate,
    status=204,
)(directory.remove_assignment)

# Students and guardians
route(
    "/v1/classes/{class_id}/students",
    "GET",
    summary="班级学生",
    tag="students",
    query=PageQuery,
    response=StudentPage,
)(directory.list_class_students)
route(
    "/v1/schools/{school_id}/students",
    "GET",
    summary="全校学生",
    tag="students",
    query=PageQuery,
    response=StudentPage,
)(directory.list_school_students)
route(
    "/v1/schools/{school_id}/students",
    "POST",
    summary="新增或更新学生（按学籍号）",
    tag="students",
    body=directory.StudentSave,
    response=StudentView,
    status=201,
)(directory.save_student)
route("/v1/students/{student_id}", "GET", summary="学生", tag="students", response=StudentView)(
    directory.get_student
)
route(
    "/v1/students/{student_id}/guardians",
    "GET",
    summary="学生的监护人",
    tag="students",
    response=UserPage,
)(directory.list_guardians)
route(
    "/v1/students/{student_id}/guardians",
    "POST",
    summary="关联监护人",
    tag="students",
    body=directory.GuardianCreate,
    response=UserView,
    status=201,
)(directory.link_guardian)
route(
    "/v1/students/{student_id}/guardians/{guardian_id}",
    "DELETE",
    summary="解除监护关系",
    tag="students",
    status=204,
)(directory.unlink_guardian)

# Records
route(
    "/v1/students/{student_id}/records",
    "GET",
    summary="学生的记录（成长轨迹）",
    tag="records",
    query=records.StudentRecordsQuery,
    response=RecordPage,
)(records.student_records)
route(
    "/v1/classes/{class_id}/records",
    "GET",
    summary="班级的记录（横向比较）",
    tag="records",
    query=records.GroupRecordsQuery,
    response=RecordPage,
)(records.class_records)
route(
    "/v1/schools/{school_id}/records",
    "GET",
    summary="全校的记录",
    tag="records",
    query=records.SchoolRecordsQuery,
    response=RecordPage,
)(records.school_records)
route(
    "/v1/records/{record_id}",
    "GET",
    summary="一条记录及其来源和修改历史",
    tag="records",
    response=RecordDetailView,
)(records.get_record)
