"""The yearly AWS cost of the deployed design (issue 15): from the district's size, the
figures the project measured (or counted, or assumed: each says which, and where from) and
the region's list prices, a usage model of every function, table, bucket and queue of
`shared.resources` / `shared.db.tables`, costed per service for years 1 to N, in RMB, as a
share of the seed's 55,000 RMB yearly O&M budget (docs/cost.md).

Pure: no AWS client, no environment. The figures are `shared.operations.figures`, the prices
`shared.operations.prices` (data).

The model in one paragraph: a district of S students in classes of `class_size` records
`records_per_student_year` values a student a year, one class file (one assessment of one
subject) per upload; each accepted upload runs the validate, progress and statistics
functions and writes its records four times (the base table and three indexes); staff and
families read pages through the API (an audit item per staff read); students upload photos
that the materials function re-encodes. Flows are the same every year; what is stored
accumulates (records, insights, the lake, served photos, uploads) or is held for a window
(originals 7 days, reports 180 days, audit events 3 years, logs 1 year), and each bucket's
lifecycle (Standard-IA after 90 days for served photos) comes from `shared.resources`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, computed_field

from shared import resources
from shared.db.audit import AUDIT_RETENTION
from shared.db.changes import LOG_RETENTION
from shared.db.ledger import RETENTION as LEDGER_RETENTION
from shared.operations.figures import (
    DAYS,
    FIGURES,
    KIND_ZH,
    FigureKind,
    Figures,
    design_figures,
    directory_copies,
    originals_rule,
    queue_functions,
    record_copies,
    runs_per_day,
    served_rule,
)
from shared.operations.prices import PriceList, load_prices
from shared.operations.survey_census import CENSUS_CONCURRENCY

BUDGET_CNY: Final = 55_000.0  # the seed's yearly O&M budget (seed/, 项目总预算)
GB: Final = 1024**3  # AWS bills storage and transfer in GiB ("GB")
MONTHS: Final = 12


# ------------------------------------------------------------------------- the usage


class District(BaseModel):
    model_config = ConfigDict(frozen=True)

    students: int = Field(gt=0)
    schools: int = Field(gt=0)
    photos_per_student: float = Field(ge=0)  # a year
    years: int = Field(default=5, ge=1, le=30)


class FunctionUse(BaseModel):
    """One Lambda function's year: invocations, billed seconds each, memory, GB-seconds."""

    name: str
    memory_mb: int
    invocations: float
    seconds_each: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gb_s(self) -> float:
        return self.invocations * self.seconds_each * self.memory_mb / 1024


class Flows(BaseModel):
    """What happens in a year (the same every year for a district of a given size)."""

    classes: float
    teachers: float
    guardians: float
    records: float  # accepted rows a year
    uploads: float  # class files a year, re-uploads included
    first_uploads: float  # one per class and assessment
    record_changes: float
    statistics_updates: float
    tasks: float  # district collection tasks a year (each expects every subject of a class)
    school_progress_messages: float
    family_page_views: float
    staff_page_views: float
    api_requests: float
    staff_api_requests: float
    photos: float
    reminder_digests: float
    functions: list[FunctionUse]
    unmodelled_functions: list[str]  # added to shared.resources after this model (see docs)
    dynamodb_write_units: float
    dynamodb_read_units: float
    s3_puts: float
    s3_gets: float
    s3_transitions: float
    s3_data_out_gb: float
    cloudfront_requests: float
    cloudfront_data_out_gb: float
    sqs_requests: float
    events: float
    scheduler_invocations: float
    log_ingest_gb: float
    athena_queries: float


def flows(district: District, f: Figures = FIGURES) -> Flows:
    """The yearly usage of the deployed design for the district."""
    students = district.students
    classes = students / f.class_size.value
    teachers = students / f.students_per_teacher.value
    guardians = students * f.guardians_per_student.value
    records = students * f.records_per_student_year.value
    first_uploads = classes * f.records_per_student_year.value  # one assessment a class file
    uploads = first_uploads * (1 + f.reupload_share.value)
    record_changes = records * f.record_change_share.value
    statistics_updates = uploads + record_changes
    tasks = f.records_per_student_year.value / f.subjects_per_class.value
    school_messages = tasks * district.schools * 2  # TaskCreated and TaskClosed fan out
    family_views = (students + guardians) * f.family_views_per_person_year.value
    staff_views = teachers * f.staff_views_per_teacher_day.value * f.school_days_per_year.value
    staff_requests = staff_views * f.api_requests_per_staff_view.value
    api_requests = (
        family_views * f.api_requests_per_family_view.value
        + staff_requests
        + uploads * f.api_requests_per_upload.value
    )
    photos = students * district.photos_per_student
    digests = teachers * f.reminder_digests_per_teacher_year.value
    usage = _Counts(
        district=district,
        f=f,
        classes=classes,
        teachers=teachers,
        records=records,
        uploads=uploads,
        record_changes=record_changes,
        statistics_updates=statistics_updates,
        tasks=tasks,
        school_messages=school_messages,
        api_requests=api_requests,
        staff_requests=staff_requests,
        photos=photos,
        digests=digests,
        page_views=family_views + staff_views,
        people=students + guardians + teachers,
    )
    functions = _functions(usage)
    return Flows(
        classes=classes,
        teachers=teachers,
        guardians=guardians,
        records=records,
        uploads=uploads,
        first_uploads=first_uploads,
        record_changes=record_changes,
        statistics_updates=statistics_updates,
        tasks=tasks,
        school_progress_messages=school_messages,
        family_page_views=family_views,
        staff_page_views=staff_views,
        api_requests=api_requests,
        staff_api_requests=staff_requests,
        photos=photos,
        reminder_digests=digests,
        functions=functions,
        unmodelled_functions=unmodelled_functions(),
        dynamodb_write_units=_write_units(usage),
        dynamodb_read_units=_read_units(usage),
        s3_puts=uploads * f.upload_s3_puts.value + photos * 3,  # POST, served, thumbnail
        s3_gets=_s3_gets(usage),
        s3_transitions=photos,  # each served photo moves to Standard-IA once
        s3_data_out_gb=_photo_views_bytes(usage) / GB,
        cloudfront_requests=api_requests + usage.people * f.app_loads_per_user_year.value,
        cloudfront_data_out_gb=_cloudfront_bytes(usage) / GB,
        sqs_requests=_sqs_requests(usage),
        events=_events(usage),
        scheduler_invocations=sum(_runs_a_year(fn) or 0.0 for fn in resources.FUNCTIONS),
        log_ingest_gb=(
            sum(fn.invocations for fn in functions) * f.log_bytes_per_invocation.value
            + api_requests * f.api_access_log_bytes.value
        )
        / GB,
        athena_queries=f.athena_queries_per_year.value,
    )


class _Counts(BaseModel):
    """The counts the per-service parts of `flows` share."""

    district: District
    f: Figures
    classes: float
    teachers: float
    records: float
    uploads: float
    record_changes: float
    statistics_updates: float
    tasks: float
    school_messages: float
    api_requests: float
    staff_requests: float
    photos: float
    digests: float
    page_views: float
    people: float


def _functions(u: _Counts) -> list[FunctionUse]:
    f = u.f
    latency = f.aws_request_latency_s.value
    warm_init = f.cold_start_share.value * f.lambda_init_s.value
    cold_init = f.lambda_init_s.value
    progress_events = u.uploads + 2 * u.tasks
    progress_seconds = (
        progress_events * f.progress_class_event_s.value
        + u.school_messages * f.progress_school_message_s.value
    ) / (progress_events + u.school_messages)
    runs = {fn.name: _runs_a_year(fn) or 0.0 for fn in resources.FUNCTIONS}
    use = {
        resources.VALIDATE.name: (
            u.uploads,
            f.validate_own_s.value + f.validate_aws_requests.value * latency + warm_init,
        ),
        resources.PROGRESS.name: (
            progress_events + u.school_messages,
            progress_seconds + warm_init,
        ),
        resources.STATISTICS.name: (
            u.statistics_updates,
            f.statistics_cpu_s.value + f.statistics_aws_requests.value * latency + warm_init,
        ),
        resources.REMINDERS.name: (
            runs[resources.REMINDERS.name],
            f.reminders_run_s.value + cold_init,
        ),
        resources.COMPACTION.name: (
            runs[resources.COMPACTION.name],
            resources.VALIDATE_TIMEOUT_S + f.compaction_work_s.value + cold_init,
        ),
        resources.NOTICES.name: (runs[resources.NOTICES.name], f.notices_run_s.value + cold_init),
        resources.ROSTER.name: (
            f.roster_imports_per_year.value,
            f.roster_import_s.value + cold_init,
        ),
        resources.MATERIALS.name: (
            u.photos,
            f.photo_process_s.value + f.materials_aws_requests.value * latency + warm_init,
        ),
        resources.REDRIVE.name: (0.0, 0.0),  # operators, after an incident
        resources.FAULT_WATCH.name: (
            runs[resources.FAULT_WATCH.name],
            f.fault_watch_run_s.value + warm_init,
        ),
        # Nightly; on the census nights its reads, 8 in flight at once (CENSUS_CONCURRENCY).
        resources.SURVEYS.name: (
            runs[resources.SURVEYS.name],
            cold_init
            + f.census_runs_per_year.value
            * u.district.students
            * f.census_reads_per_student.value
            * latency
            / CENSUS_CONCURRENCY
            / max(runs[resources.SURVEYS.name], 1.0),
        ),
    }
    functions = [
        FunctionUse(name=fn.name, memory_mb=fn.memory_mb, invocations=n, seconds_each=s)
        for fn in resources.FUNCTIONS
        for n, s in [use.get(fn.name) or _unmodelled(fn, f)]
    ]
    functions.append(
        FunctionUse(
            name="api",
            memory_mb=int(f.api_memory_mb.value),
            invocations=u.api_requests,
            seconds_each=f.api_duration_s.value + warm_init,
        )
    )
    return functions


def _runs_a_year(function: resources.FunctionDefinition) -> float | None:
    """A scheduled function's runs a year; None when it has no schedule, or one this model
    cannot count."""
    if function.schedule is None:
        return None
    try:
        return runs_per_day(function.schedule.expression) * DAYS
    except ValueError:
        return None


def _unmodelled(function: resources.FunctionDefinition, f: Figures) -> tuple[float, float]:
    """A function added to `shared.resources` after this model: if it runs on a daily
    schedule, each run is counted at the assumed length of a scheduled run; otherwise it is
    counted as never invoked and named in `Flows.unmodelled_functions`."""
    runs = _runs_a_year(function)
    if runs is None:
        return (0.0, 0.0)
    return (runs, f.other_scheduled_run_s.value + f.lambda_init_s.value)


def unmodelled_functions() -> list[str]:
    """The functions of `shared.resources` whose invocations this model does not know."""
    return [fn.name for fn in resources.FUNCTIONS if fn.name not in MODELLED_FUNCTIONS]


MODELLED_FUNCTIONS: Final = frozenset(
    {
        resources.VALIDATE.name,
        resources.PROGRESS.name,
        resources.STATISTICS.name,
        resources.REMINDERS.name,
        resources.COMPACTION.name,
        resources.NOTICES.name,
        resources.FAULT_WATCH.name,
        resources.SURVEYS.name,
        resources.ROSTER.name,
        resources.MATERIALS.name,
        resources.REDRIVE.name,
    }
)


def _units(size_bytes: float, unit_bytes: int) -> int:
    """DynamoDB's request units for an item (1 KB for writes, 4 KB for reads)."""
    return max(1, math.ceil(size_bytes / unit_bytes))


def _write_units(u: _Counts) -> float:
    f = u.f
    rows = f.class_size.value
    copies = record_copies()
    # Records: each row of an upload in the base table and each index; a re-upload then
    # deletes the replaced generation (as many units again).
    record_units = _units(f.record_item_bytes.value, 1024) * copies
    first = u.uploads / (1 + f.reupload_share.value)
    records = (u.uploads + (u.uploads - first)) * rows * record_units
    pipeline = u.uploads * f.validate_fixed_wru.value
    statistics = u.statistics_updates * _statistics_write_units(f, rows)
    progress = u.uploads * _progress_write_units(f, u.district.schools)
    schools_messages = u.school_messages * _school_message_write_units(u)
    audit = u.staff_requests * _units(f.audit_item_bytes.value, 1024)
    changes = u.record_changes * 2 * record_units  # the change, and its history entry
    photos = u.photos * f.materials_wru_per_photo.value
    reminders = u.digests * f.reminder_wru_per_digest.value
    return (
        records
        + pipeline
        + statistics
        + progress
        + schools_messages
        + audit
        + changes
        + photos
        + reminders
    )


def _statistics_write_units(f: Figures, rows: float) -> float:
    """One class statistic recomputed: each student's insight, the class item, an epoch and
    a merge for the school's grade and the district's, the class index and its warnings."""
    insights = rows * _units(f.insight_item_bytes.value, 1024)
    class_item = _units(f.class_statistic_bytes.value, 1024)
    merges = 2 * (1 + _units(f.roll_up_bytes.value, 1024))
    return insights + class_item + merges + 2


def _progress_write_units(f: Figures, schools: int) -> float:
    """A class's completion recomputed: its aggregate, every expected teacher's to-do item,
    the school's map and the task's summary (an UpdateItem costs the item's whole size)."""
    teachers = f.subjects_per_class.value * _units(f.workload_item_bytes.value, 1024)
    school = _units(f.school_progress_item_bytes.value, 1024)
    summary = _units(f.summary_bytes_per_school.value * schools, 1024)
    return _units(f.class_aggregate_bytes.value, 1024) + teachers + school + summary


def _school_message_write_units(u: _Counts) -> float:
    """A whole school recomputed (TaskCreated, TaskClosed): every class and teacher."""
    f = u.f
    schools = u.district.schools
    classes = u.classes / schools
    teachers = u.teachers / schools
    return (
        classes * _units(f.class_aggregate_bytes.value, 1024)
        + teachers * _units(f.workload_item_bytes.value, 1024)
        + math.ceil(classes / 10) * _units(f.school_progress_item_bytes.value, 1024)
        + _units(f.summary_bytes_per_school.value * schools, 1024)
    )


def _read_units(u: _Counts) -> float:
    f = u.f
    rows = f.class_size.value
    # The statistics function reads the class's current records of the term (eventually
    # consistent: half a unit per 4 KB) and, strongly, the grade's school roll-ups.
    class_records = rows * f.records_per_student_year.value / 2 * f.record_item_bytes.value
    records_units = class_records / 4096 / 2
    roll_ups = u.district.schools * f.district_merge_reads_per_school.value * f.roll_up_bytes.value
    statistics = u.statistics_updates * (records_units + roll_ups / 4096 + 2)
    return (
        u.uploads * (f.validate_fixed_rru.value + f.progress_rru.value)
        + statistics
        + u.api_requests * f.api_rru_per_request.value
        + u.photos * f.materials_rru_per_photo.value
    )


def _s3_gets(u: _Counts) -> float:
    f = u.f
    views = f.thumbnail_views_per_photo.value + f.full_views_per_photo.value
    return u.uploads * f.upload_s3_gets.value + u.photos * (2 + views)


def _photo_views_bytes(u: _Counts) -> float:
    f = u.f
    per_photo = (
        f.thumbnail_views_per_photo.value * f.photo_thumbnail_bytes.value
        + f.full_views_per_photo.value * f.photo_served_bytes.value
    )
    return u.photos * per_photo


def _cloudfront_bytes(u: _Counts) -> float:
    f = u.f
    return (
        u.api_requests * f.api_response_bytes.value
        + u.people * f.app_loads_per_user_year.value * f.app_first_load_bytes.value
    )


def _sqs_requests(u: _Counts) -> float:
    """Messages (send, receive, delete) and the event source mappings' idle long polls."""
    f = u.f
    messages = u.uploads * 3 + u.school_messages + 2 * u.tasks + u.record_changes + u.photos
    polls_per_mapping = f.esm_pollers.value * (DAYS * 24 * 3600 / 20)
    return messages * f.sqs_requests_per_message.value + polls_per_mapping * len(queue_functions())


def _events(u: _Counts) -> float:
    """EventBridge PutEvents entries: a SubmissionValidated per upload, a RecordChanged per
    change, and per task its creation, closing and a SchoolProgressRequested per school."""
    return u.uploads + u.record_changes + u.tasks * (2 + 2 * u.district.schools)


# ------------------------------------------------------------------------- what is stored


def average_stock(
    per_year: float, year: int, *, from_day: float = 0.0, until_day: float | None = None
) -> float:
    """The mean amount held during `year` (1 = the first) of a steady inflow of `per_year` a
    year, counting what is at least `from_day` and less than `until_day` days old (None:
    kept for good). Day by day, each at its midpoint."""
    rate = per_year / DAYS
    total = 0.0
    for day in range(DAYS):
        t = (year - 1) * DAYS + day + 0.5
        upper = t if until_day is None else min(t, until_day)
        total += rate * max(0.0, upper - min(t, from_day))
    return total / DAYS


class Stored(BaseModel):
    """Mean GB held during one year, by where and in which class."""

    year: int
    dynamodb_gb: float  # tables and their indexes
    dynamodb_pitr_gb: float  # base tables with point-in-time recovery
    s3_standard_gb: float
    s3_ia_gb: float
    logs_gb: float
    lake_gb: float  # current Parquet files (what Athena scans)


def stored(district: District, year: int, flow: Flows, f: Figures = FIGURES) -> Stored:
    overhead = f.dynamodb_item_overhead_bytes.value
    rows = flow.records
    record_item = f.record_item_bytes.value + overhead
    d_copies = directory_copies()
    audit_days = AUDIT_RETENTION.days
    forever = {
        # the records table: base + indexes (current generations only; replaced ones deleted)
        "records": rows * record_item * record_copies(),
        "insights": rows * (f.insight_item_bytes.value + overhead),
        "class_statistics": flow.classes
        * f.records_per_student_year.value
        * (f.class_statistic_bytes.value + overhead),
        "submissions": flow.uploads * (f.submission_item_bytes.value + overhead) * d_copies,
        "targets": flow.first_uploads * (f.target_item_bytes.value + overhead) * d_copies,
        "aggregates": flow.classes * flow.tasks * (f.class_aggregate_bytes.value + overhead),
    }
    base_forever = {
        "records": rows * record_item,
        "insights": forever["insights"],
        "class_statistics": forever["class_statistics"],
        "submissions": forever["submissions"] / d_copies,
        "targets": forever["targets"] / d_copies,
        "aggregates": forever["aggregates"],
    }
    audit = flow.staff_api_requests * (f.audit_item_bytes.value + overhead)
    change_log = flow.uploads * (f.record_item_bytes.value + overhead)
    ledger = flow.reminder_digests * 2 * (f.target_item_bytes.value + overhead)  # 2 entries
    # The roster, replaced rather than grown: a student and the claim on their 学籍号, a
    # guardian's user and link, a teacher's user and about four teaching assignments.
    roster = (district.students * 2 + flow.guardians * 2 + flow.teachers * 5) * (
        f.directory_item_bytes.value + overhead
    )
    windowed = (
        average_stock(audit, year, until_day=audit_days)
        + average_stock(change_log, year, until_day=LOG_RETENTION.days)
        + average_stock(ledger, year, until_day=LEDGER_RETENTION.days)
    )
    dynamodb = sum(average_stock(v, year) for v in forever.values()) + windowed + roster * d_copies
    pitr = sum(average_stock(v, year) for v in base_forever.values()) + windowed + roster
    standard, ia, lake = _s3_stock(district, year, flow, f)
    logs = average_stock(flow.log_ingest_gb * GB, year, until_day=f.log_retention_days.value)
    return Stored(
        year=year,
        dynamodb_gb=dynamodb / GB,
        dynamodb_pitr_gb=pitr / GB,
        s3_standard_gb=standard / GB,
        s3_ia_gb=ia / GB,
        logs_gb=logs / GB,
        lake_gb=lake / GB,
    )


def _s3_stock(district: District, year: int, flow: Flows, f: Figures) -> tuple[float, float, float]:
    """Mean bytes held in S3 Standard and Standard-IA during the year, and the lake's
    current files, from each bucket's lifecycle rules."""
    originals = originals_rule()
    served = served_rule()
    keep_originals = (originals.expire_after_days or 0) + (
        resources.MATERIALS_BUCKET.old_versions_expire_after_days or 0
    )
    to_ia = served.infrequent_access_after_days or 0
    photos = flow.photos
    lake_rows = flow.records * f.lake_row_bytes.value
    lake = average_stock(lake_rows, year)
    lake_old = lake_rows * f.lake_noncurrent_copies.value
    ia_after = f.noncurrent_to_ia_days.value
    access_logs = (flow.s3_puts + flow.s3_gets) * f.s3_access_log_bytes.value
    standard = (
        average_stock(photos * f.photo_original_bytes.value, year, until_day=keep_originals)
        + average_stock(photos * f.photo_served_bytes.value, year, until_day=to_ia)
        + average_stock(photos * f.photo_thumbnail_bytes.value, year)
        + average_stock(flow.uploads * f.upload_file_bytes.value, year)
        + average_stock(
            flow.uploads * f.report_bytes.value,
            year,
            until_day=resources.REPORTS.expire_after_days,
        )
        + lake
        + average_stock(lake_old, year, until_day=ia_after)
        + average_stock(access_logs, year, until_day=f.s3_access_log_days.value)
    )
    ia = average_stock(photos * f.photo_served_bytes.value, year, from_day=to_ia) + (
        average_stock(lake_old, year, from_day=ia_after)
    )
    return standard, ia, lake


# ------------------------------------------------------------------------- the costs


class LineItem(BaseModel):
    service: str
    item: str  # Chinese
    quantity: float
    unit: str  # Chinese
    price_key: str
    cny: float


class YearCost(BaseModel):
    year: int
    stored: Stored
    items: list[LineItem]
    by_service: dict[str, float]
    total_cny: float
    budget_share: float


class FigureRow(BaseModel):
    key: str
    label: str
    value: float
    unit: str
    kind: FigureKind
    kind_zh: str
    source: str
    note: str


class PriceRow(BaseModel):
    key: str
    service: str
    item: str
    cny: float
    unit: str
    verified: bool
    source_url: str
    note: str


class CostReport(BaseModel):
    district: District
    region: str
    region_name: str
    operator: str
    currency: str
    prices_checked_on: date
    budget_cny: float
    flows: Flows
    years: list[YearCost]
    figures: list[FigureRow]
    prices: list[PriceRow]
    unverified_prices: list[str]
    free_tier: str
    price_method: str


SERVICES: Final = (
    "Lambda",
    "API Gateway",
    "DynamoDB",
    "S3",
    "CloudFront",
    "SQS",
    "EventBridge",
    "CloudWatch",
    "KMS",
    "Secrets Manager",
    "Athena",
)


def _item(prices: PriceList, key: str, quantity: float, item: str, unit: str) -> LineItem:
    price = prices.price(key)
    return LineItem(
        service=price.service,
        item=item,
        quantity=quantity,
        unit=unit,
        price_key=key,
        cny=quantity / price.per * price.cny,
    )


def line_items(
    flow: Flows, store: Stored, prices: PriceList, f: Figures = FIGURES
) -> list[LineItem]:
    """Every metered quantity of one year with its price."""
    invocations = sum(fn.invocations for fn in flow.functions)
    gb_s = sum(fn.gb_s for fn in flow.functions)
    athena_bytes = flow.athena_queries * max(
        f.athena_min_scan_bytes.value, store.lake_gb * GB * f.athena_scan_share.value
    )
    cold_starts = sum(fn.invocations for fn in flow.functions if fn.name == "api") * (
        f.cold_start_share.value
    )
    months = MONTHS
    return [
        _item(prices, "lambda_requests", invocations, "函数调用", "次"),
        _item(prices, "lambda_gb_s_arm", gb_s, "计算时长", "GB-秒"),
        _item(prices, "api_gateway_rest_requests", flow.api_requests, "REST API 调用", "次"),
        _item(
            prices, "dynamodb_write_request_units", flow.dynamodb_write_units, "写入", "写入单位"
        ),
        _item(prices, "dynamodb_read_request_units", flow.dynamodb_read_units, "读取", "读取单位"),
        _item(prices, "dynamodb_storage_gb_month", store.dynamodb_gb * months, "存储", "GB-月"),
        _item(
            prices, "dynamodb_pitr_gb_month", store.dynamodb_pitr_gb * months, "时间点恢复", "GB-月"
        ),
        _item(prices, "s3_standard_gb_month", store.s3_standard_gb * months, "标准存储", "GB-月"),
        _item(
            prices, "s3_standard_ia_gb_month", store.s3_ia_gb * months, "不频繁访问存储", "GB-月"
        ),
        _item(prices, "s3_put_requests", flow.s3_puts, "写请求", "次"),
        _item(prices, "s3_get_requests", flow.s3_gets, "读请求", "次"),
        _item(prices, "s3_transition_requests", flow.s3_transitions, "生命周期转换", "次"),
        _item(prices, "s3_data_out_gb", flow.s3_data_out_gb, "照片下载流量", "GB"),
        _item(
            prices, "cloudfront_data_out_gb", flow.cloudfront_data_out_gb, "网页与 API 流量", "GB"
        ),
        _item(prices, "cloudfront_https_requests", flow.cloudfront_requests, "HTTPS 请求", "次"),
        _item(prices, "sqs_requests", flow.sqs_requests, "队列请求（含空闲轮询）", "次"),
        _item(prices, "eventbridge_events", flow.events, "领域事件", "个"),
        _item(prices, "scheduler_invocations", flow.scheduler_invocations, "定时调用", "次"),
        _item(prices, "cloudwatch_alarms", f.alarms.value * months, "告警", "告警-月"),
        _item(prices, "cloudwatch_logs_ingest_gb", flow.log_ingest_gb, "日志摄取", "GB"),
        _item(
            prices, "cloudwatch_logs_storage_gb_month", store.logs_gb * months, "日志存档", "GB-月"
        ),
        _item(prices, "kms_keys", f.kms_keys.value * months, "客户托管密钥", "密钥-月"),
        _item(prices, "kms_requests", f.kms_requests_per_year.value, "密钥请求", "次"),
        _item(prices, "secrets_manager_secrets", f.secrets.value * months, "密钥（凭据）", "个-月"),
        _item(prices, "secrets_manager_api_calls", cold_starts, "读取凭据（冷启动时）", "次"),
        _item(prices, "athena_tb_scanned", athena_bytes / 1024**4, "扫描量", "TB"),
    ]


def estimate(
    district: District, prices: PriceList | None = None, f: Figures = FIGURES
) -> CostReport:
    """The cost of the deployed design for the district, year by year."""
    prices = prices or load_prices()
    flow = flows(district, f)
    years = []
    for year in range(1, district.years + 1):
        store = stored(district, year, flow, f)
        items = line_items(flow, store, prices, f)
        by_service = {s: 0.0 for s in SERVICES}
        for line in items:
            by_service[line.service] = by_service.get(line.service, 0.0) + line.cny
        total = sum(by_service.values())
        years.append(
            YearCost(
                year=year,
                stored=store,
                items=items,
                by_service=by_service,
                total_cny=total,
                budget_share=total / BUDGET_CNY,
            )
        )
    return CostReport(
        district=district,
        region=prices.region,
        region_name=prices.region_name,
        operator=prices.operator,
        currency=prices.currency,
        prices_checked_on=prices.checked_on,
        budget_cny=BUDGET_CNY,
        flows=flow,
        years=years,
        figures=list(figure_rows(f)),
        prices=[PriceRow(key=k, **p.model_dump(exclude={"per"})) for k, p in prices.prices.items()],
        unverified_prices=prices.unverified(),
        free_tier=prices.free_tier,
        price_method=prices.method,
    )


def figure_rows(f: Figures = FIGURES) -> Iterator[FigureRow]:
    """Every figure the model used: the table above, then the settings read from the code."""
    named = [(name, getattr(f, name)) for name in type(f).model_fields]
    for key, figure in [*named, *design_figures()]:
        yield FigureRow(
            key=key,
            label=figure.label,
            value=figure.value,
            unit=figure.unit,
            kind=figure.kind,
            kind_zh=KIND_ZH[figure.kind],
            source=figure.source,
            note=figure.note,
        )
