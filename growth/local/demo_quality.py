"""The demo's 综评 story (issue 14): a first-grader's guardian writes a 写实记录 with two phone
photos (one with its GPS position in EXIF); the materials function processes them; the head
teacher approves it into the class's 公示; a classmate's guardian objects and the teacher answers;
then, with the clock moved past the window, the nightly run archives it into the records and
the lake. Every step through the API over HTTP, as the phone and the teacher's browser would."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from growth.local.state import LocalError

if TYPE_CHECKING:
    from growth.local.demo import Client
    from growth.local.seed import DemoDistrict

GPS_IFD: Final = 0x8825


def _photo(seed: int, *, gps: bool) -> bytes:
    """A 12 MP phone-like JPEG (noise over a gradient), with EXIF and, if asked, GPS."""
    from PIL import Image

    size = (4032, 3024)
    noise = Image.effect_noise((size[0] // 4, size[1] // 4), 30 + seed).resize(size)
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (noise, gradient, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (31.0, 6.0, 40.0), 3: "E", 4: (121.0, 22.0, 50.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def _values(today: date) -> dict[str, Any]:
    from shared.term import Term

    start = max(Term.of(today).start, today - timedelta(days=21))
    return {
        "area": "身心健康与艺术素养",
        "project_name": "校园合唱节",
        "start_date": start.isoformat(),
        "end_date": today.isoformat(),
        "hours": 6,
        "organizer": "学校艺术教育中心",
        "role": "合唱团成员",
        "witness": "音乐老师",
        "description": "参加校园合唱节，担任第二声部，班级获得一等奖。",
    }


def _wait_ready(client: Client, login: str, entry_id: str, wait_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + wait_s
    while True:
        detail = client.ok(login, "GET", f"/v1/quality-entries/{entry_id}")
        attachments: list[dict[str, Any]] = detail["attachments"]
        if all(a["status"] != "awaiting_upload" for a in attachments):
            return attachments
        if time.monotonic() > deadline:
            raise LocalError(f"附件在 {wait_s:.0f} 秒内没有处理完")
        time.sleep(0.5)


def _served_has_no_metadata(client: Client, login: str, entry_id: str, attachment_id: str) -> bool:
    import requests
    from PIL import Image

    link = client.ok(login, "GET", f"/v1/quality-entries/{entry_id}/attachments/{attachment_id}")
    body = requests.get(link["url"], timeout=30).content
    image = Image.open(io.BytesIO(body))
    return image.format == "JPEG" and not image.getexif() and max(image.size) <= 1920


def archive_after_window(days: int = 10) -> list[str]:
    """The nightly 公示 run against the platform's tables and lake, as its function runs it,
    with its clock `days` on (past any five-school-day window): the entries it archived."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.materials.archive import NoticeCloser
    from shared.settings import AwsSettings, MaterialSettings, table_settings

    clients = AwsClients(AwsSettings())
    later = datetime.now(UTC) + timedelta(days=days)
    closer = NoticeCloser.over(
        Repositories.build(clients.dynamodb, table_settings()),
        clients.s3,
        lake_bucket=MaterialSettings().lake_bucket,
        now=lambda: later,
    )
    return closer.run().archived


def quality_story(client: Client, plan: DemoDistrict, *, class_id: str, wait_s: float) -> bool:
    """The story above; True when every step ends as expected."""
    print("\n— 综评写实记录：上传、审核、公示与异议、归档 —")
    students = [s for s in plan.students if s.class_id == class_id]
    child, classmate = students[0], students[1]
    writer = next(u.login for u in plan.logins if u.role == "guardian" and child.name in u.note)
    objector = next(
        u.login for u in plan.logins if u.role == "guardian" and classmate.name in u.note
    )
    klass = next(c for c in plan.classes if c.id == class_id)
    teacher = next(u.login for u in plan.logins if u.user_id == klass.head_teacher_id)
    today = datetime.now(UTC).date()

    detail = client.ok(
        writer,
        "POST",
        f"/v1/students/{child.id}/quality-entries",
        json={"values": _values(today), "show_attachments": True},
    )
    entry_id = detail["entry"]["id"]
    photos = [("合唱节.jpg", _photo(1, gps=True)), ("领奖.jpg", _photo(2, gps=False))]
    for name, body in photos:
        answer = client.ok(
            writer,
            "POST",
            f"/v1/quality-entries/{entry_id}/attachments",
            json={"filename": name, "content_type": "image/jpeg"},
        )
        client.post_file(answer["upload"], name, body, "image/jpeg")
    attachments = _wait_ready(client, writer, entry_id, wait_s)
    for attachment, (name, body) in zip(attachments, photos, strict=True):
        print(
            f"{name}：{attachment['status_zh']}，原图 {len(body) / 1e6:.1f} MB → "
            f"{(attachment['served_size'] or 0) / 1e3:.0f} KB "
            f"（{attachment['width']}×{attachment['height']}，已去除 EXIF 与定位）"
        )
    clean = all(
        a["status"] == "ready" and _served_has_no_metadata(client, writer, entry_id, a["id"])
        for a in attachments
    )
    client.ok(writer, "POST", f"/v1/quality-entries/{entry_id}/submit")
    approved = client.ok(
        teacher, "POST", f"/v1/quality-entries/{entry_id}/review", json={"decision": "approve"}
    )["entry"]
    window = approved["notice"]
    print(
        f"班主任审核通过，进入班级公示：{window['opens_on']} 至 {window['closes_on']}"
        f"（{window['school_days']} 个上课日）"
    )
    notice = client.ok(objector, "GET", f"/v1/classes/{class_id}/quality-notice")["items"]
    seen = [i for i in notice if i["entry"]["id"] == entry_id]
    objection = client.ok(
        objector,
        "POST",
        f"/v1/quality-entries/{entry_id}/objections",
        json={"reason": "合唱节是上个月举办的，时长可能写多了"},
    )
    print(f"同班同学的家长在公示中看到这条记录并提出异议：「{objection['reason']}」")
    answered = client.ok(
        teacher,
        "POST",
        f"/v1/quality-entries/{entry_id}/objections/{objection['id']}/answer",
        json={"upheld": False, "note": "排练与演出合计 6 小时，经核实无误"},
    )["entry"]
    print("班主任核实后答复：异议不成立，记录继续公示")
    archived = archive_after_window()
    final = client.ok(writer, "GET", f"/v1/quality-entries/{entry_id}")["entry"]
    print(f"公示期满、没有未处理的异议：夜间归档后状态为「{final['status_zh']}」")
    good = (
        clean
        and len(seen) == 1
        and "witness" not in seen[0]["entry"]["values"]
        and answered["status"] == "in_notice"
        and answered["open_objections"] == 0
        and entry_id in archived
        and final["status"] == "archived"
        and final["record_id"] is not None
    )
    print("✓ 写实记录完成了全部流程" if good else "✗ 写实记录的流程结果不符合预期")
    return good
