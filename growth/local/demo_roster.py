"""The demo's roster story (issue 13): the demo district exported as a OneRoster 1.2 CSV bundle
— what a downstream LMS imports — and that bundle imported back, which must write nothing:
an export and an import are each other's inverse, and a re-import is idempotent."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

WRITES = (
    "schools_written",
    "classes_written",
    "users_written",
    "students_written",
    "assignments_added",
    "assignments_removed",
    "links_added",
    "links_removed",
)


def roster_story(district_code: str, term: str) -> bool:
    """Export, print what the bundle holds, import it back; True when nothing was written."""
    from shared.aws import AwsClients
    from shared.db.directory import DirectoryRepository
    from shared.integration.oneroster.service import RosterExport, RosterImport
    from shared.settings import AwsSettings, table_settings
    from shared.term import Term

    clients = AwsClients(AwsSettings())
    directory = DirectoryRepository(clients.dynamodb, table_settings().directory)
    bundle = RosterExport(directory, district_code=district_code)(
        term=Term.parse(term), at=datetime.now(UTC)
    )
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        rows = {
            name: archive.read(name).decode("utf-8-sig").count("\n") - 1
            for name in archive.namelist()
            if name.endswith(".csv") and name != "manifest.csv"
        }
    print("\n— OneRoster 1.2 名册 —")
    print(
        f"导出全区名册：{len(bundle) / 1024:.0f} KB，"
        + "，".join(f"{name} {count} 行" for name, count in sorted(rows.items()) if count > 0)
    )
    result = RosterImport(directory, district_code=district_code)(bundle)
    written = {key: result.counts.get(key, 0) for key in WRITES}
    same = result.status == "imported" and not any(written.values())
    print(
        "✓ 再导入同一个数据包：通过校验，没有写入任何变化（导出与导入互为逆运算）"
        if same
        else f"✗ 再导入应当什么也不写：{result.status}，{written}"
    )
    return same
