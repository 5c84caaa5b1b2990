"""The figures of the cost model (shared/operations/cost.py), each with where it comes from:
measured (a benchmark, a measurement on the landed system), counted (in the code, the web app,
the synthesized templates), stated by the design documents, how AWS meters, or assumed.
`Figures` is the one typed table of them; `design_figures` lists the settings the model reads
from the code itself (memory, schedules, lifecycles, retentions), so that a reviewer sees every
number the estimate used (docs/cost.md).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from shared import resources
from shared.db.audit import AUDIT_RETENTION
from shared.db.changes import LOG_RETENTION
from shared.db.ledger import RETENTION as LEDGER_RETENTION
from shared.db.tables import DIRECTORY, RECORDS

DAYS: Final = 365


class FigureKind(StrEnum):
    MEASURED = "measured"  # a benchmark or a measurement on the landed system
    COUNTED = "counted"  # counted in the code, the web app or the synthesized templates
    DESIGN = "design"  # a figure the design documents state
    AWS = "aws"  # how AWS meters or bills
    ASSUMED = "assumed"  # a judgement, to be replaced by a measurement in AWS


KIND_ZH: Final = {
    FigureKind.MEASURED: "实测",
    FigureKind.COUNTED: "计数",
    FigureKind.DESIGN: "设计",
    FigureKind.AWS: "AWS 规则",
    FigureKind.ASSUMED: "假设",
}


class Figure(BaseModel):
    """One number the model uses, with where it comes from."""

    model_config = ConfigDict(frozen=True)

    value: float
    unit: str
    label: str  # Chinese, as printed
    kind: FigureKind
    source: str  # file and figure, e.g. "bench-results/statistics.jsonl: …"
    note: str = ""  # Chinese


def _f(
    value: float, unit: str, label: str, kind: FigureKind, source: str, note: str = ""
) -> Figure:
    return Figure(value=value, unit=unit, label=label, kind=kind, source=source, note=note)


_M, _C, _D, _A, _S = (
    FigureKind.MEASURED,
    FigureKind.COUNTED,
    FigureKind.DESIGN,
    FigureKind.AWS,
    FigureKind.ASSUMED,
)
PERF = "PERFORMANCE.md (project brief)"


class Figures(BaseModel):
    """Every figure of the model that is not the district's size, a price, or a setting read
    from `shared.resources` / `shared.db.tables` (those are listed by `design_figures`)."""

    model_config = ConfigDict(frozen=True)

    # The district's shape.
    class_size: Figure = _f(40, "人/班", "每班学生数", _D, "docs/statistics.md: 'classes of ~40'")
    students_per_teacher: Figure = _f(
        250_000 / 18_000,
        "人",
        "每位教师对应学生数",
        _D,
        "MISSION.md: Minhang 'roughly 200 public schools, 250,000 students, 18,000 teachers'",
    )
    guardians_per_student: Figure = _f(1.5, "人", "每名学生的监护人数", _S, "assumption")
    subjects_per_class: Figure = _f(
        9,
        "科",
        "每班按学科上报的科目数（任课教师数）",
        _D,
        "docs/progress.md: 'for a template keyed by subject … ~9 a class'",
    )
    records_per_student_year: Figure = _f(
        70,
        "条/年",
        "每名学生每年的记录数",
        _D,
        f"{PERF}: 'a year of district data (250 k students × 70 records ≈ 17.5 M rows)'",
    )
    reupload_share: Figure = _f(
        0.2,
        "",
        "重新上报（替换）占上报的比例",
        _S,
        "assumption",
        "被替换的一代记录随后删除（docs/pipeline.md：generations），删除也耗写入单位",
    )
    record_change_share: Figure = _f(0.01, "", "上报后被纠错或修改的记录比例", _S, "assumption")
    # The upload pipeline (functions/validate).
    validate_own_s: Figure = _f(
        0.35,
        "秒/次",
        "校验函数每次上报自身的计算时间",
        _M,
        f"{PERF}, measured on the landed system: 'a 2,000-row class file's own work ~0.35 s'",
        "对 40 行的班级文件是上限",
    )
    validate_aws_requests: Figure = _f(
        30,
        "次/次上报",
        "校验函数每次上报的 AWS 请求数",
        _S,
        f"assumption, against the goal in {PERF}: '≤ 42 AWS requests per 1,000 rows'",
        "读 S3、查提交与名册、批量写记录、翻转指针、写 Parquet 与报告、发事件",
    )
    aws_request_latency_s: Figure = _f(
        0.010,
        "秒",
        "每个 AWS 请求的等待时间",
        _S,
        "docs/progress.md: 'at an assumed 5–10 ms each' (the upper end)",
    )
    lambda_init_s: Figure = _f(
        0.7,
        "秒",
        "冷启动的初始化时间（计费）",
        _M,
        f"{PERF}: 'boto3+S3 client 440 ms'; the validate function adds 233 ms over that floor",
    )
    cold_start_share: Figure = _f(
        0.05,
        "",
        "按事件触发的调用中冷启动的比例",
        _S,
        "assumption, above the 'under 1% of invocations' AWS reports for production traffic "
        "(this system's traffic comes in school-day bursts)",
        "定时函数每次都按冷启动计",
    )
    record_item_bytes: Figure = _f(
        550,
        "字节",
        "DynamoDB 中一条记录的大小",
        _M,
        f"{PERF}: 'a ~550-byte record is one write unit'",
    )
    validate_fixed_wru: Figure = _f(
        30,
        "写入单位/次上报",
        "每次上报除记录外的写入",
        _S,
        "assumption, from docs/pipeline.md",
        "提交状态的几次更新（目录表带两个索引）、指针翻转、幂等记录、变更日志",
    )
    validate_fixed_rru: Figure = _f(
        15,
        "读取单位/次上报",
        "每次上报的读取",
        _S,
        "assumption, from docs/pipeline.md",
        "提交、班级名册（强一致）、当前指针",
    )
    upload_file_bytes: Figure = _f(20_000, "字节", "一个班级上报文件的大小", _S, "assumption")
    report_bytes: Figure = _f(10_000, "字节", "一份错误报告的大小", _S, "assumption")
    upload_s3_puts: Figure = _f(
        4,
        "次/次上报",
        "每次上报的 S3 写请求",
        _S,
        "assumption, from docs/pipeline.md",
        "表单上传、Parquet、错误报告、夜间合并",
    )
    upload_s3_gets: Figure = _f(
        4,
        "次/次上报",
        "每次上报的 S3 读请求",
        _S,
        "assumption, from docs/pipeline.md",
        "HEAD、GET、夜间合并读取、报告下载",
    )
    lake_row_bytes: Figure = _f(
        108,
        "字节/行",
        "数据湖 Parquet 每行大小",
        _M,
        f"{PERF}: 'write Parquet … zstd ~108 B/row for 20 columns'",
    )
    lake_noncurrent_copies: Figure = _f(
        3,
        "份",
        "数据湖每行被合并后留下的旧版本份数",
        _S,
        "assumption, from shared/lake/compaction.py: 'Deletes leave delete markers in the "
        "versioned bucket, so an input's content stays recoverable'",
        "旧版本 30 天后转入标准-不频繁访问，一直保留",
    )
    # Statistics (functions/statistics).
    statistics_cpu_s: Figure = _f(
        0.724,
        "秒/次",
        "统计函数每次更新的计算时间（含解码读取的条目）",
        _M,
        "bench-results/statistics.jsonl: statistics/incremental with_reads_cpu_seconds 0.724 "
        "(commit b7704ce), one class upload of 70 statistics",
        "一次上报通常只有一个统计量，这是上限",
    )
    statistics_aws_requests: Figure = _f(
        15, "次/次更新", "统计函数每次更新的 AWS 请求数", _S, "assumption, from docs/statistics.md"
    )
    insight_item_bytes: Figure = _f(400, "字节", "一名学生一个统计量的条目大小", _S, "assumption")
    class_statistic_bytes: Figure = _f(
        1_500, "字节", "一个班级统计条目的大小", _D, "docs/dynamodb.md: 'each ~1–2 KB'"
    )
    roll_up_bytes: Figure = _f(
        3_000, "字节", "一个学校或全区年级汇总条目的大小", _D, "docs/dynamodb.md: '~3 KB'"
    )
    district_merge_reads_per_school: Figure = _f(
        13_930 / 70 / 200,
        "条/校",
        "全区合并时每所学校读取的汇总条目",
        _M,
        "docs/statistics.md: 'the grade's school roll-ups, 13,930 items an upload' "
        "(70 statistics, 200 schools)",
        "强一致读；读取单位按整条计（投影不省读取单位）",
    )
    # Completion and workload (functions/progress).
    progress_class_event_s: Figure = _f(
        0.5,
        "秒/次",
        "进度函数处理一个班级事件的时间",
        _S,
        "assumption; docs/progress.md: a whole school's message 'About 2–5 s'",
    )
    progress_school_message_s: Figure = _f(
        3.5,
        "秒/次",
        "进度函数处理一所学校消息的时间",
        _D,
        "docs/progress.md: 'About 2–5 s a school message'",
    )
    workload_item_bytes: Figure = _f(
        15_000,
        "字节",
        "教师工作量条目的平均大小",
        _D,
        "docs/dynamodb.md: a teacher's workload item 'grows by one entry (~300 B) per class and "
        "task … ~100 a year' (the mean over a year)",
        "每次上报更新该班所有任课教师的待办条目；更新按条目大小计写入单位",
    )
    school_progress_item_bytes: Figure = _f(
        6_000,
        "字节",
        "学校进度条目大小",
        _D,
        "docs/dynamodb.md: 'a map of its classes' counts, ~40 × 150 B'",
    )
    summary_bytes_per_school: Figure = _f(
        150,
        "字节/校",
        "任务汇总条目中每所学校的大小",
        _D,
        "docs/dynamodb.md: 'the summary holds 200 schools' counts (~30 KB)'",
    )
    class_aggregate_bytes: Figure = _f(
        2_000,
        "字节",
        "班级进度条目大小",
        _D,
        "docs/dynamodb.md: 'a few hundred bytes to a few KB'",
    )
    progress_rru: Figure = _f(
        6,
        "读取单位/次",
        "进度函数每个班级事件的读取",
        _D,
        "docs/progress.md: '4 Query, 1 GetItem' a message (strongly consistent, one page each)",
    )
    # Pages (the API).
    family_views_per_person_year: Figure = _f(
        20, "次/人/年", "学生或家长每年打开页面次数", _S, "assumption"
    )
    staff_views_per_teacher_day: Figure = _f(
        5, "次/人/天", "教职工每个上学日打开页面次数", _S, "assumption"
    )
    school_days_per_year: Figure = _f(190, "天", "每年上学日", _S, "assumption (38 weeks)")
    api_requests_per_family_view: Figure = _f(
        2,
        "次/页",
        "家庭页面每次打开的 API 请求",
        _C,
        "web/src/session.ts: GET /v1/me once a session; web/src/pages/family/GrowthRecords.vue: "
        "GET /v1/students/{id}/records",
    )
    api_requests_per_staff_view: Figure = _f(
        4,
        "次/页",
        "教职工页面每次打开的 API 请求",
        _C,
        "web/src/pages: ClassRecords.vue 5, ClassStatistics.vue 3, SchoolCompletion.vue 3 API "
        "calls (rounded up from their mean)",
    )
    api_requests_per_upload: Figure = _f(
        6,
        "次/次上报",
        "每次上报的 API 请求",
        _S,
        "assumption",
        "申请上传表单、轮询结果、下载报告",
    )
    api_duration_s: Figure = _f(0.15, "秒/次", "API 函数每次请求的时间", _S, "assumption")
    api_memory_mb: Figure = _f(
        1024, "MB", "API 函数内存", _C, "infrastructure/stack.py: API_MEMORY_MB = 1024"
    )
    api_rru_per_request: Figure = _f(
        10,
        "读取单位/次",
        "每个 API 请求的读取",
        _S,
        "assumption",
        "身份关系（强一致）+ 一页数据（最终一致，每页 ≤ 100 条）+ 指针",
    )
    audit_item_bytes: Figure = _f(
        500,
        "字节",
        "一条审计事件的大小",
        _S,
        "assumption; docs/dynamodb.md: 'Audit … one write per staff read'",
    )
    api_response_bytes: Figure = _f(8_000, "字节", "API 响应大小（压缩后）", _S, "assumption")
    app_first_load_bytes: Figure = _f(
        64_000,
        "字节",
        "网页首次加载的 JavaScript（gzip）",
        _M,
        "bench-results/web.jsonl: web/family-first-load-js-gzip 64.0 KB",
    )
    app_loads_per_user_year: Figure = _f(
        12, "次/人/年", "每人每年未命中缓存的网页加载", _S, "assumption (about a release a month)"
    )
    # Students' materials (functions/materials).
    photo_original_bytes: Figure = _f(
        19_961_819 / 8,
        "字节",
        "一张照片原图的大小",
        _M,
        "bench-results/materials.jsonl: materials/totals bytes_in 19,961,819 for 8 photos",
    )
    photo_served_bytes: Figure = _f(
        2_052_365 / 8,
        "字节",
        "一张照片处理后供展示的大小",
        _M,
        "bench-results/materials.jsonl: materials/totals served_bytes 2,052,365 for 8 photos; "
        "docs/materials.md",
    )
    photo_thumbnail_bytes: Figure = _f(
        100_888 / 8,
        "字节",
        "一张缩略图的大小",
        _M,
        "bench-results/materials.jsonl: materials/totals thumbnail_bytes 100,888 for 8 photos",
    )
    photo_process_s: Figure = _f(
        (0.16 + 0.146 + 0.162 + 0.167 + 0.544 + 0.571 + 0.091 + 0.095) / 8,
        "秒/张",
        "处理一张照片的时间",
        _M,
        "bench-results/materials.jsonl: mean 'seconds' of the 8 photos of run a8d8381 "
        "(4 JPEG, 2 HEIC, 2 PNG)",
    )
    materials_aws_requests: Figure = _f(
        6,
        "次/张",
        "材料函数每张照片的 AWS 请求数",
        _S,
        "assumption, from docs/materials.md",
        "HEAD、GET 原图，PUT 展示图与缩略图，两次 DynamoDB 更新",
    )
    materials_wru_per_photo: Figure = _f(4, "写入单位/张", "每张照片的写入", _S, "assumption")
    materials_rru_per_photo: Figure = _f(2, "读取单位/张", "每张照片的读取", _S, "assumption")
    thumbnail_views_per_photo: Figure = _f(
        10,
        "次/张",
        "每张照片缩略图被查看次数",
        _S,
        "assumption",
        "学生、家长、班主任审核、公示期同学",
    )
    full_views_per_photo: Figure = _f(3, "次/张", "每张照片大图被查看次数", _S, "assumption")
    # Scheduled functions, reminders, rosters.
    reminders_run_s: Figure = _f(1.0, "秒/次", "提醒函数每次运行时间", _S, "assumption")
    reminder_digests_per_teacher_year: Figure = _f(
        20, "份/人/年", "每位教师每年收到的提醒摘要", _S, "assumption"
    )
    reminder_wru_per_digest: Figure = _f(
        4,
        "写入单位/份",
        "每份提醒摘要的写入",
        _D,
        "docs/reminders.md: a digest's entries claimed, then marked sent, each in one "
        "TransactWriteItems (transactions cost 2 units)",
    )
    compaction_work_s: Figure = _f(
        60, "秒/次", "夜间合并的工作时间（另加等待校验结束的时间）", _S, "assumption"
    )
    other_scheduled_run_s: Figure = _f(
        5,
        "秒/次",
        "本模型之后新增的定时函数每次运行时间",
        _S,
        "assumption",
    )
    notices_run_s: Figure = _f(10, "秒/次", "夜间公示归档运行时间", _S, "assumption")
    fault_watch_run_s: Figure = _f(
        0.2, "秒/次", "报修超时检查每次运行时间（一次查询）", _S, "assumption"
    )
    census_reads_per_student: Figure = _f(
        3,
        "次/名学生",
        "满意度调查名册统计每名学生的目录读取",
        _D,
        "shared/operations/survey_census.py: a student's guardians, each guardian's children",
    )
    census_runs_per_year: Figure = _f(
        4,
        "次/年",
        "每年满意度调查名册统计次数（两次调查，开始时与结束后各一次）",
        _D,
        "docs/surveys.md: two surveys a year, counted when each opens and after it closes",
    )
    roster_imports_per_year: Figure = _f(12, "次/年", "每年名册导入次数", _S, "assumption")
    roster_import_s: Figure = _f(120, "秒/次", "一次名册导入时间", _S, "assumption")
    # Directory items (roster, submissions, targets).
    directory_item_bytes: Figure = _f(
        1_000, "字节", "目录表中一个人员或关系条目的大小", _S, "assumption"
    )
    submission_item_bytes: Figure = _f(2_000, "字节", "一个提交条目的大小", _S, "assumption")
    target_item_bytes: Figure = _f(300, "字节", "一个上报目标条目的大小", _S, "assumption")
    # Platform.
    esm_pollers: Figure = _f(
        5,
        "个",
        "每个 SQS 事件源映射的轮询者",
        _A,
        "AWS Lambda developer guide: an SQS event source mapping starts with five pollers, "
        "long-polling (20 s)",
        "空闲时每个轮询者每 20 秒一次 ReceiveMessage",
    )
    sqs_requests_per_message: Figure = _f(
        3,
        "次/条",
        "每条消息的 SQS 请求（发送、接收、删除）",
        _A,
        "Amazon SQS pricing: every API action is a request",
    )
    dynamodb_item_overhead_bytes: Figure = _f(
        100,
        "字节/条",
        "DynamoDB 每个条目（含索引条目）的存储开销",
        _A,
        "Amazon DynamoDB developer guide: 100 bytes of overhead per item, and per index item",
    )
    log_bytes_per_invocation: Figure = _f(
        1_500,
        "字节/次",
        "每次函数调用的日志量",
        _S,
        "assumption",
        "START/END/REPORT 与 Powertools 的 JSON 日志行",
    )
    api_access_log_bytes: Figure = _f(600, "字节/次", "API 访问日志每条大小", _S, "assumption")
    log_retention_days: Figure = _f(
        365,
        "天",
        "日志保留期（prod）",
        _D,
        "infrastructure/config.py: log_retention_days 365 if stage == 'prod'",
    )
    s3_access_log_bytes: Figure = _f(400, "字节/次", "S3 服务器访问日志每条大小", _S, "assumption")
    s3_access_log_days: Figure = _f(
        365,
        "天",
        "访问日志保留期",
        _D,
        "infrastructure/stack.py: _access_logs_bucket expiration 365 days",
    )
    noncurrent_to_ia_days: Figure = _f(
        30,
        "天",
        "旧版本转入标准-不频繁访问的天数",
        _D,
        "infrastructure/stack.py: NONCURRENT_TO_INFREQUENT_ACCESS_DAYS = 30",
    )
    alarms: Figure = _f(
        36,
        "个",
        "CloudWatch 告警",
        _C,
        "cdk.out/Growth-prod.template.json (make synth, 2026-12-07): AWS::CloudWatch::Alarm × 36",
    )
    kms_keys: Figure = _f(
        1, "个", "KMS 客户托管密钥", _C, "cdk.out/Growth-prod.template.json: AWS::KMS::Key × 1"
    )
    secrets: Figure = _f(
        3,
        "个",
        "Secrets Manager 密钥",
        _C,
        "cdk.out/Growth-prod.template.json: AWS::SecretsManager::Secret × 3 (SMTP, 企业微信, "
        "page tokens)",
    )
    kms_requests_per_year: Figure = _f(
        1_000_000,
        "次/年",
        "每年 KMS 请求",
        _S,
        "assumption",
        "DynamoDB 表与 S3 桶密钥缓存数据密钥，请求与流量基本无关",
    )
    athena_queries_per_year: Figure = _f(1_000, "次/年", "每年 Athena 查询", _S, "assumption")
    athena_scan_share: Figure = _f(
        0.1,
        "",
        "每次查询扫描数据湖的比例",
        _S,
        "assumption (queries are pruned by term and school: docs/analytics.md)",
    )
    athena_min_scan_bytes: Figure = _f(
        10 * 1024**2,
        "字节",
        "每次查询最少计费扫描量",
        _A,
        "Amazon Athena pricing: 'rounded up to … 10 MB minimum per query'",
    )


FIGURES: Final = Figures()


def design_figures() -> list[tuple[str, Figure]]:
    """The settings of the deployed design the model reads from the code itself, listed with
    the measured and assumed figures so that a reviewer sees every number used."""
    rows: list[tuple[str, Figure]] = []
    for function in resources.FUNCTIONS:
        rows.append(
            (
                f"memory_mb.{function.name}",
                _f(
                    function.memory_mb,
                    "MB",
                    f"{function.name} 函数内存",
                    _C,
                    f"shared/resources.py: {function.name.upper()}.memory_mb",
                ),
            )
        )
    for schedule_of in (resources.REMINDERS, resources.COMPACTION, resources.NOTICES):
        assert schedule_of.schedule is not None
        rows.append(
            (
                f"runs_per_day.{schedule_of.name}",
                _f(
                    runs_per_day(schedule_of.schedule.expression),
                    "次/天",
                    f"{schedule_of.name} 定时运行次数",
                    _C,
                    f"shared/resources.py: {schedule_of.name.upper()}.schedule "
                    f"{schedule_of.schedule.expression}",
                ),
            )
        )
    rows += [
        (
            "record_copies",
            _f(
                record_copies(),
                "份",
                "每条记录在 DynamoDB 中的份数",
                _C,
                "shared/db/tables.py: RECORDS, base table + 3 global indexes projecting ALL",
            ),
        ),
        (
            "directory_copies",
            _f(
                directory_copies(),
                "份",
                "目录表条目的份数",
                _C,
                "shared/db/tables.py: DIRECTORY, base table + 2 global indexes projecting ALL",
            ),
        ),
        (
            "originals_expire_days",
            _f(
                originals_rule().expire_after_days or 0,
                "天",
                "照片原图保留天数",
                _C,
                "shared/resources.py: MATERIALS_BUCKET originals/ expire_after_days",
            ),
        ),
        (
            "served_to_ia_days",
            _f(
                served_rule().infrequent_access_after_days or 0,
                "天",
                "展示图转入标准-不频繁访问的天数",
                _C,
                "shared/resources.py: MATERIALS_BUCKET served/ infrequent_access_after_days",
            ),
        ),
        (
            "reports_expire_days",
            _f(
                resources.REPORTS.expire_after_days or 0,
                "天",
                "错误报告保留天数",
                _C,
                "shared/resources.py: REPORTS.expire_after_days",
            ),
        ),
        (
            "audit_retention_days",
            _f(
                AUDIT_RETENTION.days,
                "天",
                "审计事件保留天数",
                _C,
                "shared/db/audit.py: AUDIT_RETENTION",
            ),
        ),
        (
            "change_log_days",
            _f(
                LOG_RETENTION.days,
                "天",
                "变更日志保留天数",
                _C,
                "shared/db/changes.py: LOG_RETENTION",
            ),
        ),
        (
            "ledger_days",
            _f(
                LEDGER_RETENTION.days,
                "天",
                "提醒发送账本保留天数",
                _C,
                "shared/db/ledger.py: RETENTION",
            ),
        ),
        (
            "compaction_grace_s",
            _f(
                resources.VALIDATE_TIMEOUT_S,
                "秒",
                "夜间合并先等待校验结束的时间",
                _C,
                "shared/resources.py: COMPACTION waits out VALIDATE_TIMEOUT_S",
            ),
        ),
        (
            "sqs_mappings",
            _f(
                len(queue_functions()),
                "个",
                "SQS 事件源映射",
                _C,
                "shared/resources.py: FUNCTIONS with a queue",
            ),
        ),
    ]
    return rows


def record_copies() -> int:
    """A record item and its copy in each index (all project ALL: docs/dynamodb.md)."""
    return 1 + len(RECORDS.global_indexes)


def directory_copies() -> int:
    return 1 + len(DIRECTORY.global_indexes)


def queue_functions() -> list[resources.FunctionDefinition]:
    return [f for f in resources.FUNCTIONS if f.queue is not None]


def originals_rule() -> resources.LifecycleRule:
    return _rule(resources.MATERIAL_ORIGINALS_PREFIX)


def served_rule() -> resources.LifecycleRule:
    return _rule(resources.MATERIAL_SERVED_PREFIX)


def _rule(prefix: str) -> resources.LifecycleRule:
    (rule,) = (r for r in resources.MATERIALS_BUCKET.lifecycle if r.prefix == prefix)
    return rule


_CRON: Final = re.compile(r"cron\((\S+) (\S+) \* \* \? \*\)")


def runs_per_day(expression: str) -> int:
    """How often a daily EventBridge Scheduler cron expression fires in a day: minutes and
    hours as `n`, `a-b` or `n/step` (the forms `shared.resources` uses)."""
    found = _CRON.fullmatch(expression)
    if found is None:
        raise ValueError(f"not a daily cron expression: {expression}")
    minutes, hours = found.groups()
    return _field_count(minutes, 60) * _field_count(hours, 24)


def _field_count(field: str, size: int) -> int:
    if "/" in field:
        start, step = field.split("/")
        return len(range(int(start), size, int(step)))
    if "-" in field:
        low, high = field.split("-")
        return int(high) - int(low) + 1
    int(field)  # a single value (raises on anything else)
    return 1
