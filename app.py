"""The HTTP API (Chalice). Routes only: each binds a path to one service in `chalicelib/`,
through `Api.route`, which authenticates, parses, calls and maps errors in one place. Nothing
here builds clients at import time, nor imports a route's service or models: the table names
them by module (`lazy`), and a route imports its own on its first call, so a cold start pays
for the routes it serves (tests/test_cold_start.py keeps it so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Chalice

from chalicelib.api import XLSX_TYPE, Api, lazy
from shared.integration.idempotency import HEADER as IDEMPOTENCY_HEADER

if TYPE_CHECKING:
    from chalicelib.health import AuthConfigView
    from chalicelib.views_collection import TemplateQuery
    from shared.templates.dictionary import TemplateDictionary

# The services the routes call, one module per resource.
audit_trail = lazy("chalicelib.services.audit_trail")
changes = lazy("chalicelib.services.changes")
clients = lazy("chalicelib.services.clients")
collection = lazy("chalicelib.services.collection")
corrections = lazy("chalicelib.services.corrections")
directory = lazy("chalicelib.services.directory")
faults = lazy("chalicelib.services.faults")
ingest = lazy("chalicelib.services.ingest")
ops = lazy("chalicelib.services.ops")
progress = lazy("chalicelib.services.progress")
quality = lazy("chalicelib.services.quality")
records = lazy("chalicelib.services.records")
reminders = lazy("chalicelib.services.reminders")
roster = lazy("chalicelib.services.roster")
statistics = lazy("chalicelib.services.statistics")
surveys = lazy("chalicelib.services.surveys")
# What they take and answer: the views (request and response models).
health = lazy("chalicelib.health")
views = lazy("chalicelib.views")
views_collection = lazy("chalicelib.views_collection")
views_corrections = lazy("chalicelib.views_corrections")
views_faults = lazy("chalicelib.views_faults")
views_integration = lazy("chalicelib.views_integration")
views_ops = lazy("chalicelib.views_ops")
views_progress = lazy("chalicelib.views_progress")
views_quality = lazy("chalicelib.views_quality")
views_reminders = lazy("chalicelib.views_reminders")
views_statistics = lazy("chalicelib.views_statistics")
views_surveys = lazy("chalicelib.views_surveys")
dictionary = lazy("shared.templates.dictionary")

app = Chalice(app_name="growth-api")
api = Api(app, title="学生过程性成长数据管理系统 API", version="1")
route = api.route

route(
    "/v1/health", "GET", summary="健康检查", tag="system", public=True, response=health.HealthView
)(health.health_status)


@route(
    "/v1/auth/config",
    "GET",
    summary="登录配置（OpenID Connect 签发方与客户端）",
    tag="system",
    public=True,
    response=health.AuthConfigView,
)
def auth() -> AuthConfigView:
    from chalicelib.health import auth_config

    return auth_config(api.context().verifier)


@route("/v1/openapi.json", "GET", summary="本 API 的 OpenAPI 3.1 文档", tag="system", public=True)
def openapi() -> dict[str, Any]:
    return api.openapi()


route(
    "/v1/ops/health",
    "GET",
    summary="系统运行状况（运维人员）：各队列积压、死信、最早消息的等待时间，定时任务最近一次成功运行",
    tag="operations",
    response=views_ops.OpsHealthView,
)(ops.health)


# Who am I
route("/v1/me", "GET", summary="当前用户及其可见范围", tag="me", response=views.MeView)(
    directory.me
)

# Schools
route(
    "/v1/schools",
    "GET",
    summary="学校列表",
    tag="schools",
    query=views.PageQuery,
    response=views.SchoolPage,
)(directory.list_schools)
route(
    "/v1/schools",
    "POST",
    summary="新建学校（区管理员）",
    tag="schools",
    body=directory.SchoolCreate,
    response=views.SchoolView,
    status=201,
)(directory.create_school)
route("/v1/schools/{school_id}", "GET", summary="学校", tag="schools", response=views.SchoolView)(
    directory.get_school
)

# Classes
route(
    "/v1/schools/{school_id}/classes",
    "GET",
    summary="学校的班级",
    tag="classes",
    query=views.PageQuery,
    response=views.ClassPage,
)(directory.list_classes)
route(
    "/v1/schools/{school_id}/classes",
    "POST",
    summary="新建班级（校管理员）",
    tag="classes",
    body=directory.ClassCreate,
    response=views.ClassView,
    status=201,
)(directory.create_class)
route("/v1/classes/{class_id}", "GET", summary="班级", tag="classes", response=views.ClassView)(
    directory.get_class
)

# Staff and teaching assignments
route(
    "/v1/schools/{school_id}/staff",
    "GET",
    summary="学校的教职工",
    tag="staff",
    query=views.PageQuery,
    response=views.UserPage,
)(directory.list_staff)
route(
    "/v1/schools/{school_id}/staff",
    "POST",
    summary="新增教职工",
    tag="staff",
    body=directory.StaffCreate,
    response=views.UserView,
    status=201,
)(directory.create_staff)
route(
    "/v1/classes/{class_id}/assignments",
    "GET",
    summary="班级的任课安排",
    tag="staff",
    response=views.AssignmentList,
)(directory.list_assignments)
route(
    "/v1/classes/{class_id}/assignments",
    "POST",
    summary="安排任课教师",
    tag="staff",
    body=directory.AssignmentCreate,
    response=views.ClassView,
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
    query=views.PageQuery,
    response=views.StudentPage,
)(directory.list_class_students)
route(
    "/v1/schools/{school_id}/students",
    "GET",
    summary="全校学生",
    tag="students",
    query=views.PageQuery,
    response=views.StudentPage,
)(directory.list_school_students)
route(
    "/v1/schools/{school_id}/students",
    "POST",
    summary="新增或更新学生（按学籍号）",
    tag="students",
    body=directory.StudentSave,
    response=views.StudentView,
    status=201,
)(directory.save_student)
route(
    "/v1/students/{student_id}", "GET", summary="学生", tag="students", response=views.StudentView
)(directory.get_student)
route(
    "/v1/students/{student_id}/guardians",
    "GET",
    summary="学生的监护人",
    tag="students",
    response=views.UserPage,
)(directory.list_guardians)
route(
    "/v1/students/{student_id}/guardians",
    "POST",
    summary="关联监护人",
    tag="students",
    body=directory.GuardianCreate,
    response=views.UserView,
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
    response=views.RecordPage,
)(records.student_records)
route(
    "/v1/classes/{class_id}/records",
    "GET",
    summary="班级的记录（横向比较）",
    tag="records",
    query=records.GroupRecordsQuery,
    response=views.RecordPage,
)(records.class_records)
route(
    "/v1/schools/{school_id}/records",
    "GET",
    summary="全校的记录",
    tag="records",
    query=records.SchoolRecordsQuery,
    response=views.RecordPage,
)(records.school_records)
route(
    "/v1/records/{record_id}",
    "GET",
    summary="一条记录及其来源和修改历史",
    tag="records",
    response=views.RecordDetailView,
)(records.get_record)


# Templates, collection tasks and submissions
route(
    "/v1/templates",
    "GET",
    summary="模板列表（内置与区级）",
    tag="templates",
    response=views_collection.TemplateList,
)(collection.list_templates)
route(
    "/v1/templates",
    "POST",
    summary="发布区级模板或新版本（区管理员）",
    tag="templates",
    body=views_collection.TemplateDefinition,
    response=views_collection.TemplateView,
    status=201,
)(collection.create_template)
route(
    "/v1/templates/{template_id}",
    "GET",
    summary="模板定义",
    tag="templates",
    query=views_collection.TemplateQuery,
    response=views_collection.TemplateView,
)(collection.get_template)
route(
    "/v1/templates/{template_id}/schema",
    "GET",
    summary="模板的 JSON Schema（一条记录）",
    tag="templates",
    query=views_collection.TemplateQuery,
)(collection.template_schema)
route(
    "/v1/templates/{template_id}/retire",
    "POST",
    summary="停用区级模板（区管理员）",
    tag="templates",
    response=views_collection.TemplateView,
)(collection.retire_template)
route(
    "/v1/tasks",
    "POST",
    summary="新建数据上报任务（区管理员、校管理员）",
    tag="tasks",
    body=views_collection.TaskCreate,
    response=views_collection.TaskView,
    status=201,
)(collection.create_task)
route(
    "/v1/tasks",
    "GET",
    summary="数据上报任务列表",
    tag="tasks",
    query=views_collection.TaskQuery,
    response=views_collection.TaskPage,
)(collection.list_tasks)
route(
    "/v1/tasks/{task_id}",
    "GET",
    summary="数据上报任务",
    tag="tasks",
    response=views_collection.TaskView,
)(collection.get_task)
route(
    "/v1/tasks/{task_id}/close",
    "POST",
    summary="截止数据上报任务",
    tag="tasks",
    response=views_collection.TaskView,
)(collection.close_task)
route(
    "/v1/tasks/{task_id}/template",
    "GET",
    summary="下载填报模板（XLSX；指定班级时预填学生名单）",
    tag="tasks",
    query=views_collection.TemplateDownloadQuery,
    produces=XLSX_TYPE,
)(collection.task_template)
route(
    "/v1/tasks/{task_id}/completion",
    "GET",
    summary="完成情况（按学校、班级、教师）",
    tag="tasks",
    query=views_collection.CompletionQuery,
    response=views_collection.CompletionView,
)(progress.task_completion)
route(
    "/v1/tasks/{task_id}/submissions",
    "POST",
    summary="申请上传文件（返回预签名 POST）",
    tag="submissions",
    body=views_collection.SubmissionCreate,
    response=views_collection.SubmissionUploadView,
    status=201,
)(collection.request_upload)
route(
    "/v1/tasks/{task_id}/submissions",
    "GET",
    summary="任务的上报记录",
    tag="submissions",
    query=views_collection.SubmissionQuery,
    response=views_collection.SubmissionPage,
)(collection.list_task_submissions)
route(
    "/v1/submissions/{submission_id}",
    "GET",
    summary="上报的状态、计数与错误报告",
    tag="submissions",
    response=views_collection.SubmissionView,
)(collection.get_submission)


# Progress: the district's overview, a school's teacher workload, a teacher's to-do list
route(
    "/v1/progress/overview",
    "GET",
    summary="全区完成情况总览（一个学期的各项任务，按学校）",
    tag="progress",
    query=views_progress.OverviewQuery,
    response=views_progress.OverviewView,
)(progress.district_overview)
route(
    "/v1/schools/{school_id}/workload",
    "GET",
    summary="教师工作量（校管理员、区管理员）",
    tag="progress",
    query=views_progress.WorkloadQuery,
    response=views_progress.WorkloadView,
)(progress.school_workload)
route(
    "/v1/me/todo",
    "GET",
    summary="我的待办（教师）：待上报与已上报",
    tag="me",
    query=views_progress.TodoQuery,
    response=views_progress.TodoView,
)(progress.my_todo)


# Statistics: a class against its grade (its teachers), a school's grades (its admins), the
# district's schools (the district), a student's insights (the student, family and teachers)
route(
    "/v1/statistics/assessments",
    "GET",
    summary="有统计的考核（一个模板、一个学期）",
    tag="statistics",
    query=views_statistics.CatalogQuery,
    response=views_statistics.AssessmentList,
)(statistics.assessments)
route(
    "/v1/classes/{class_id}/statistics",
    "GET",
    summary="班级成绩分布与每名学生的位置（班主任、任课教师、校管理员）",
    tag="statistics",
    query=views_statistics.StatisticQuery,
    response=views_statistics.ClassStatisticsView,
)(statistics.class_statistics)
route(
    "/v1/schools/{school_id}/statistics",
    "GET",
    summary="学校各年级与各班的分布（小于 5 人不显示）",
    tag="statistics",
    query=views_statistics.GradeStatisticQuery,
    response=views_statistics.SchoolStatisticsView,
)(statistics.school_statistics)
route(
    "/v1/district/statistics",
    "GET",
    summary="全区各校对比（一个年级）与各年级指标",
    tag="statistics",
    query=views_statistics.GradeStatisticQuery,
    response=views_statistics.DistrictStatisticsView,
)(statistics.district_statistics)
route(
    "/v1/students/{student_id}/insights",
    "GET",
    summary="学生的成长分析：各科最近成绩、所处区间与趋势",
    tag="statistics",
    query=views_statistics.InsightsQuery,
    response=views_statistics.StudentInsightsView,
)(statistics.student_insights)
route(
    "/v1/classes/{class_id}/warnings",
    "GET",
    summary="班级的预警提示（班主任、该学科任课教师）",
    tag="statistics",
    query=views_statistics.WarningsQuery,
    response=views_statistics.WarningList,
)(statistics.class_warnings)
route(
    "/v1/district/warning-rules",
    "GET",
    summary="预警规则（区管理员）",
    tag="statistics",
    response=views_statistics.WarningRulesView,
)(statistics.warning_rules)
route(
    "/v1/district/warning-rules",
    "PUT",
    summary="修改预警规则（区管理员）",
    tag="statistics",
    body=views_statistics.WarningRulesView,
    response=views_statistics.WarningRulesView,
)(statistics.change_warning_rules)


# Corrections and audit
route(
    "/v1/records/{record_id}/corrections",
    "POST",
    summary="对记录提出纠错（学生本人或家长）",
    tag="corrections",
    body=corrections.FlagCreate,
    response=views_corrections.CorrectionDetailView,
    status=201,
)(corrections.flag_record)
route(
    "/v1/corrections",
    "GET",
    summary="纠错列表：待我处理的（教师）或我提出的",
    tag="corrections",
    query=corrections.CorrectionsQuery,
    response=views_corrections.CorrectionPage,
)(corrections.list_corrections)
route(
    "/v1/corrections/{correction_id}",
    "GET",
    summary="一条纠错及其记录和处理结果",
    tag="corrections",
    response=views_corrections.CorrectionDetailView,
)(corrections.get_correction)
route(
    "/v1/corrections/{correction_id}/correct",
    "POST",
    summary="采纳纠错并更正记录（保留修改历史）",
    tag="corrections",
    body=corrections.CorrectionFix,
    response=views_corrections.CorrectionDetailView,
)(corrections.correct_record)
route(
    "/v1/corrections/{correction_id}/decline",
    "POST",
    summary="不采纳纠错（须说明理由）",
    tag="corrections",
    body=corrections.CorrectionDecline,
    response=views_corrections.CorrectionDetailView,
)(corrections.decline_correction)
route(
    "/v1/records/{record_id}/changes",
    "POST",
    summary="教师直接修改记录（保留修改历史）",
    tag="records",
    body=corrections.RecordChangeCreate,
    response=views_corrections.RecordChangeResultView,
    status=201,
)(corrections.change_record)
route(
    "/v1/schools/{school_id}/audit",
    "GET",
    summary="学校的审计记录（谁在何时查看或修改了什么）",
    tag="audit",
    query=audit_trail.AuditQuery,
    response=views_corrections.AuditPage,
)(audit_trail.school_audit)


# Reminders: one's notification settings, staff contact details, the district's settings
route(
    "/v1/me/notifications",
    "GET",
    summary="我的提醒设置（渠道与联系方式）",
    tag="reminders",
    response=views_reminders.NotificationSettingsView,
)(reminders.my_notifications)
route(
    "/v1/me/notifications",
    "PUT",
    summary="修改我的提醒渠道与联系方式",
    tag="reminders",
    body=views_reminders.ContactUpdate,
    response=views_reminders.NotificationSettingsView,
)(reminders.change_my_notifications)
route(
    "/v1/schools/{school_id}/staff/{user_id}/contact",
    "PUT",
    summary="设置教职工的联系方式与提醒渠道（校管理员）",
    tag="reminders",
    body=views_reminders.ContactUpdate,
    response=views.UserView,
)(reminders.change_staff_contact)
route(
    "/v1/district/reminders",
    "GET",
    summary="全区提醒设置（区管理员）",
    tag="reminders",
    response=views_reminders.ReminderSettingsView,
)(reminders.reminder_settings)
route(
    "/v1/district/reminders",
    "PUT",
    summary="修改提醒时间、免打扰时段与默认渠道（区管理员）",
    tag="reminders",
    body=views_reminders.ReminderSettingsUpdate,
    response=views_reminders.ReminderSettingsView,
)(reminders.change_reminder_settings)
route(
    "/v1/district/calendar/{year}",
    "GET",
    summary="某年的校历：法定节假日、调休与区里的假期（区管理员）",
    tag="reminders",
    response=views_reminders.CalendarView,
)(reminders.school_calendar)
route(
    "/v1/district/calendar/{year}",
    "PUT",
    summary="修改某年的校历：寒暑假、增加的放假日与上课日（区管理员）",
    tag="reminders",
    body=views_reminders.CalendarUpdate,
    response=views_reminders.CalendarView,
)(reminders.change_school_calendar)


# Integration: machine clients (other systems of the district) and what they call
route(
    "/v1/district/clients",
    "GET",
    summary="对接系统列表（区管理员）",
    tag="integration",
    response=views_integration.ClientList,
)(clients.list_clients)
route(
    "/v1/district/clients",
    "POST",
    summary="登记对接系统：授权范围与学校；由本系统签发凭证时返回一次密钥（区管理员）",
    tag="integration",
    body=views_integration.ClientCreate,
    response=views_integration.ClientCreated,
    status=201,
)(clients.create_client)
route(
    "/v1/district/clients/{client_id}",
    "PATCH",
    summary="调整或停用对接系统（下一次调用起生效）（区管理员）",
    tag="integration",
    body=views_integration.ClientChange,
    response=views_integration.ClientView,
)(clients.change_client_route)
route(
    "/v1/ingest/{template_id}",
    "POST",
    summary="对接系统推送一个班级的一批记录（须带 Idempotency-Key；202 + 状态地址）",
    tag="integration",
    caller="client",
    raw_body=views_integration.BatchDocument,
    headers=(IDEMPOTENCY_HEADER,),
    response=views_integration.BatchAccepted,
    status=202,
    errors=(422,),
)(ingest.push_batch)
route(
    "/v1/ingest/batches/{submission_id}",
    "GET",
    summary="对接系统查看所推送批次的处理结果",
    tag="integration",
    caller="client",
    response=views_integration.BatchStatusView,
)(ingest.get_batch)


# The data standard published to other systems' vendors: public, as templates hold no
# personal data.
@route(
    "/v1/templates/{template_id}/dictionary",
    "GET",
    summary="模板的数据字典：字段、类型、代码表、自然键与个人信息标记（公开）",
    tag="templates",
    public=True,
    query=views_collection.TemplateQuery,
    response=dictionary.TemplateDictionary,
)
def template_dictionary(template_id: str, query: TemplateQuery) -> TemplateDictionary:
    """The template's data dictionary (its latest version unless `version`): each field's key,
    Chinese header, aliases, type, required, unit, range, code list and status words, format,
    natural key and personal-data flags; the template's rules, items and derived values."""
    from shared.templates.dictionary import published_dictionary

    return published_dictionary(api.context().templates(), template_id, query.version)


# Integration: OneRoster bundles pushed by machine clients (the roster function imports them).
route(
    "/v1/roster/imports",
    "POST",
    summary="对接系统导入 OneRoster 1.2 名册：返回上传表单与状态地址（须带 Idempotency-Key）",
    tag="integration",
    caller="client",
    body=views_integration.RosterImportCreate,
    headers=(IDEMPOTENCY_HEADER,),
    response=views_integration.RosterImportAccepted,
    status=202,
    errors=(422,),
)(roster.start_import)
route(
    "/v1/roster/imports/{job_id}",
    "GET",
    summary="对接系统查看名册导入的结果：状态、计数与按文件、行、列的问题",
    tag="integration",
    caller="client",
    response=views_integration.RosterImportView,
)(roster.get_import)


# Integration: the change feed for systems that pull (what changed in a template's records).
route(
    "/v1/changes",
    "GET",
    summary="对接系统拉取某模板记录的变更（新增或修改、删除），游标之后、一分钟以前的",
    tag="integration",
    caller="client",
    query=views_integration.ChangesQuery,
    response=views_integration.ChangeFeedPage,
)(changes.list_changes)


# Integration: records as an NDJSON upload (more than a JSON batch holds), then the status URL.
route(
    "/v1/ingest/{template_id}/uploads",
    "POST",
    summary="对接系统以 NDJSON 文件上传一个班级的记录（超过一批的上限时）：返回上传表单与状态地址"
    "（须带 Idempotency-Key）",
    tag="integration",
    caller="client",
    body=views_integration.BatchUploadCreate,
    headers=(IDEMPOTENCY_HEADER,),
    response=views_integration.BatchUploadAccepted,
    status=202,
    errors=(422,),
)(ingest.request_upload)


# 综评: 写实记录 with their materials, the head teacher's review, the class's 公示 and its
# objections (异议), the 纪实报告 (docs/materials.md).

route(
    "/v1/students/{student_id}/quality-entries",
    "POST",
    summary="写一条综合素质写实记录（学生本人，或小学生的家长）：草稿",
    tag="quality",
    body=views_quality.EntryCreate,
    response=views_quality.EntryDetailView,
    status=201,
)(quality.write_entry)
route(
    "/v1/students/{student_id}/quality-entries",
    "GET",
    summary="学生的写实记录（新的在前，可按学期）",
    tag="quality",
    query=views_quality.EntriesQuery,
    response=views_quality.EntryPage,
)(quality.list_entries)
route(
    "/v1/quality-entries/{entry_id}",
    "GET",
    summary="一条写实记录及其附件、异议与每一步",
    tag="quality",
    response=views_quality.EntryDetailView,
)(quality.get_entry)
route(
    "/v1/quality-entries/{entry_id}",
    "PATCH",
    summary="修改草稿或被退回的写实记录（内容、附件顺序、公示时是否展示附件）",
    tag="quality",
    body=views_quality.EntryChange,
    response=views_quality.EntryDetailView,
)(quality.change_entry)
route(
    "/v1/quality-entries/{entry_id}/attachments",
    "POST",
    summary="添加附件（照片、PDF 证书、短视频）：返回上传表单",
    tag="quality",
    body=views_quality.AttachmentCreate,
    response=views_quality.AttachmentUploadView,
    status=201,
)(quality.add_attachment)
route(
    "/v1/quality-entries/{entry_id}/attachments/{attachment_id}",
    "GET",
    summary="查看附件（处理后的文件或缩略图的短时链接，从不提供原件）",
    tag="quality",
    query=views_quality.ViewQuery,
    response=views_quality.MaterialLinkView,
)(quality.view_attachment)
route(
    "/v1/quality-entries/{entry_id}/submit",
    "POST",
    summary="提交写实记录，由班主任审核",
    tag="quality",
    response=views_quality.EntryDetailView,
)(quality.submit_entry)
route(
    "/v1/quality-entries/{entry_id}/withdraw",
    "POST",
    summary="撤回待审核的写实记录（重新成为草稿）",
    tag="quality",
    response=views_quality.EntryDetailView,
)(quality.withdraw_entry)
route(
    "/v1/quality-entries/{entry_id}/review",
    "POST",
    summary="审核写实记录（班主任）：通过进入公示、退回修改或不通过",
    tag="quality",
    body=views_quality.ReviewDecision,
    response=views_quality.EntryDetailView,
)(quality.review_entry)
route(
    "/v1/classes/{class_id}/quality-review",
    "GET",
    summary="班级待审核的写实记录（班主任）",
    tag="quality",
    query=views.PageQuery,
    response=views_quality.EntryPage,
)(quality.review_queue)
route(
    "/v1/classes/{class_id}/quality-notice",
    "GET",
    summary="班级公示：公示中的写实记录（本班同学、家长与老师）",
    tag="quality",
    response=views_quality.NoticeView,
)(quality.class_notice)
route(
    "/v1/quality-entries/{entry_id}/objections",
    "POST",
    summary="对公示中的写实记录提出异议（本班同学或其家长）",
    tag="quality",
    body=views_quality.ObjectionCreate,
    response=views_quality.ObjectionView,
    status=201,
)(quality.raise_objection)
route(
    "/v1/quality-entries/{entry_id}/objections/{objection_id}/answer",
    "POST",
    summary="处理异议（班主任）：成立则退回学生修改，不成立则继续公示",
    tag="quality",
    body=views_quality.ObjectionAnswer,
    response=views_quality.EntryDetailView,
)(quality.answer_objection)
route(
    "/v1/quality-objections",
    "GET",
    summary="我提出的异议及处理结果",
    tag="quality",
    query=views.PageQuery,
    response=views_quality.ObjectionPage,
)(quality.my_objections)
route(
    "/v1/students/{student_id}/quality-report",
    "GET",
    summary="纪实报告：学生某学期已归档的写实记录（可打印）",
    tag="quality",
    query=views_quality.TermQuery,
    response=views_quality.QualityReportView,
)(quality.quality_report)
route(
    "/v1/quality-counts",
    "GET",
    summary="写实记录各状态数量，按学校（区管理员；校管理员看本校）",
    tag="quality",
    query=views_quality.QualityCountsQuery,
    response=views_quality.QualityCountsView,
)(quality.quality_counts)
route(
    "/v1/district/quality-settings",
    "GET",
    summary="综评设置：公示天数",
    tag="quality",
    response=views_quality.QualitySettingsView,
)(quality.get_quality_settings)
route(
    "/v1/district/quality-settings",
    "PUT",
    summary="修改公示天数（区管理员；此后开始的公示按新天数）",
    tag="quality",
    body=views_quality.QualitySettingsUpdate,
    response=views_quality.QualitySettingsView,
)(quality.put_quality_settings)


# 报修: fault reports and the one-day promise (docs/faults.md). Anyone signed in reports and
# follows their own; operators (运维) work the queue; operators and the bureau read the figures.

route(
    "/v1/fault-reports",
    "POST",
    summary="报修：报告一个问题（任何登录用户；自动附带页面与最近一次出错的请求编号）",
    tag="operations",
    body=views_faults.FaultReportCreate,
    response=views_faults.FaultReportView,
    status=201,
)(faults.report_fault)
route(
    "/v1/fault-reports",
    "GET",
    summary="我的报修及处理进度（新的在前）",
    tag="operations",
    query=views.PageQuery,
    response=views_faults.FaultReportPage,
)(faults.my_fault_reports)
route(
    "/v1/fault-reports/{report_id}",
    "GET",
    summary="一条报修及其处理记录（报修人或运维人员）",
    tag="operations",
    response=views_faults.FaultReportView,
)(faults.get_fault_report)
route(
    "/v1/fault-reports/{report_id}/steps",
    "POST",
    summary="报修人补充说明，或在报修关闭后重新打开",
    tag="operations",
    body=views_faults.FaultFollowUp,
    response=views_faults.FaultReportView,
)(faults.follow_up_fault_report)
route(
    "/v1/ops/fault-reports",
    "GET",
    summary="报修处理队列（运维人员）：未关闭的或某一状态的报修",
    tag="operations",
    query=views_faults.FaultQueueQuery,
    response=views_faults.FaultReportPage,
)(faults.fault_queue)
route(
    "/v1/ops/fault-reports/{report_id}/steps",
    "POST",
    summary="处理报修（运维人员）：接手、指派、答复、内部备注、变更状态",
    tag="operations",
    body=views_faults.FaultWork,
    response=views_faults.FaultReportView,
)(faults.work_fault_report)
route(
    "/v1/ops/fault-figures",
    "GET",
    summary="报修一日响应承诺的月度指标及近 12 个月走势（运维人员、区管理员）",
    tag="operations",
    query=views_faults.FaultFiguresQuery,
    response=views_faults.FaultFiguresView,
)(faults.fault_figures)
route(
    "/v1/ops/operators",
    "GET",
    summary="运维人员名单（运维人员：把报修指派给谁）",
    tag="operations",
    response=views_faults.OperatorList,
)(faults.list_operators)


# 好差评: the satisfaction survey twice a year (docs/surveys.md). Staff, guardians and students
# from grade 4 answer once, anonymously; the district, the operators and each school admin
# (their school) read the rates; the operators follow up each 差评 that says why.

route(
    "/v1/surveys/current",
    "GET",
    summary="我现在可以参加的满意度调查（未参加过时返回问卷，否则 survey 为空）",
    tag="surveys",
    response=views_surveys.CurrentSurveyView,
)(surveys.current_survey)
route(
    "/v1/surveys/{survey_id}/responses",
    "POST",
    summary="提交满意度评价（匿名；每人每次调查一次）",
    tag="surveys",
    body=views_surveys.SurveyAnswerCreate,
    response=views_surveys.SurveyThanksView,
    status=201,
)(surveys.answer_survey)
route(
    "/v1/surveys/{survey_id}/results",
    "GET",
    summary="满意度调查结果：按学校与群体的满意率、95% 置信区间与参与率"
    "（区管理员、运维人员；校管理员看本校）",
    tag="surveys",
    response=views_surveys.SurveyResultsView,
)(surveys.survey_results)
route(
    "/v1/surveys",
    "GET",
    summary="历次满意度调查及总体满意率（走势图）",
    tag="surveys",
    response=views_surveys.SurveyList,
)(surveys.list_surveys)
route(
    "/v1/district/survey-settings",
    "GET",
    summary="满意度调查时间：每年几次、何时开始、持续几天（区管理员、运维人员）",
    tag="surveys",
    response=views_surveys.SurveySettingsView,
)(surveys.get_survey_settings)
route(
    "/v1/district/survey-settings",
    "PUT",
    summary="修改满意度调查时间（区管理员；已开始的调查不受影响）",
    tag="surveys",
    body=views_surveys.SurveySettingsUpdate,
    response=views_surveys.SurveySettingsView,
)(surveys.put_survey_settings)
route(
    "/v1/ops/survey-follow-ups",
    "GET",
    summary="差评跟进：带文字说明的不满意评价（运维人员；可按待跟进、已处理筛选）",
    tag="surveys",
    query=views_surveys.FollowUpsQuery,
    response=views_surveys.FollowUpPage,
)(surveys.list_follow_ups)
route(
    "/v1/ops/survey-follow-ups/{follow_up_id}/handle",
    "POST",
    summary="处理差评跟进并写明处理情况（运维人员）",
    tag="surveys",
    body=views_surveys.FollowUpHandle,
    response=views_surveys.FollowUpView,
)(surveys.handle_follow_up)
