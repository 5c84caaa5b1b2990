"""OneRoster 1.2 CSV rosters: import a bundle into the directory, export the district's roster
as one (docs/oneroster.md).

    result = RosterImport(repos.directory, district_code="310112")(zip_bytes, dry_run=True)
    data = RosterExport(repos.directory, district_code="310112")()
"""

from shared.integration.oneroster.findings import RosterFinding
from shared.integration.oneroster.service import RosterExport, RosterImport, RosterImportResult

__all__ = ["RosterExport", "RosterFinding", "RosterImport", "RosterImportResult"]
