"""Who each school had to ask: the denominators of the response rates (`SchoolCensus`).

Counted from the directory, per school: its staff (school admins and teachers), its students
from grade 4, and the guardians whose survey school it is (`surveys.survey_school`: their
youngest child's). Staff and students are a Query or two per school; guardians are one Query
per student (a student's guardians) and one per guardian (their children, for the youngest-
child rule) — about three reads per student, some 600,000 for a district of 200,000 students.
Too many to make on a page view (the first results page of a district would wait minutes),
cheap for a nightly run (well under a dollar), hence:

- the census is taken by the nightly run, never by a request;
- once while a survey is open — the first night (the people the survey was put to); the
  results show no response rate for a school until it is counted;
- once more the first night after it closes, as final: frozen, never counted again, so a
  closed survey's response rates do not drift as the directory changes.

So a survey costs two passes over the directory, whatever its length. Schools are counted in
parallel (the client is thread-safe), and a guardian met in two schools is looked up once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

from shared.db.dynamo import every_page
from shared.domain.models import STAFF_ROLES, Student
from shared.exceptions import NotFound
from shared.operations.survey_desk import SurveyDesk
from shared.operations.surveys import (
    FIRST_ASKED_GRADE,
    RespondentGroup,
    SchoolCensus,
    Survey,
    survey_school,
)
from shared.reminders.settings import SHANGHAI

if TYPE_CHECKING:
    from shared.db.repositories import Repositories

log = logging.getLogger(__name__)

# Reads in flight at once (botocore pools 10 connections per client).
CENSUS_CONCURRENCY: Final = 8


@dataclass
class CensusReport:
    counted: dict[str, int] = field(default_factory=dict)  # survey id → schools counted

    def summary(self) -> dict[str, int]:
        return dict(self.counted)


@dataclass
class SurveyCensus:
    """Takes the census of the survey open today (once) and of any survey closed since its
    last census (final)."""

    repos: Repositories
    now: Callable[[], datetime]
    district_code: str
    workers: int = CENSUS_CONCURRENCY
    # A guardian's survey school, once looked up in this run.
    _guardians: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def run(self) -> CensusReport:
        today = self.now().astimezone(SHANGHAI).date()
        report = CensusReport()
        schools = [
            s.id
            for s in every_page(
                lambda start: self.repos.directory.list_schools(
                    self.district_code, limit=100, start_key=start
                )
            )
        ]
        SurveyDesk(self.repos, self.now).open_survey()  # begun tonight if it opens today
        for survey in self.repos.surveys.list_surveys():
            census = {c.school_id: c for c in self.repos.surveys.list_census(survey.id)}
            if survey.is_open(today):
                due, final = [s for s in schools if s not in census], False
            elif survey.closes_on < today:
                due, final = [s for s in schools if not _final(census.get(s))], True
            else:
                continue
            if due:
                report.counted[survey.id] = self._count(survey, due, today, final=final)
        return report

    def _count(self, survey: Survey, school_ids: list[str], today: date, *, final: bool) -> int:
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="census") as pool:
            counted = list(pool.map(self.count_school, school_ids))
        stored = 0
        for school_id, eligible in zip(school_ids, counted, strict=True):
            census = SchoolCensus(
                survey_id=survey.id,
                school_id=school_id,
                eligible=eligible,
                taken_on=today,
                final=final,
            )
            stored += self.repos.surveys.put_census(census)
        log.info("survey census", extra={"survey": survey.id, "schools": stored, "final": final})
        return stored

    def count_school(self, school_id: str) -> dict[RespondentGroup, int]:
        """The people a school asks, by group, as the directory has them now."""
        directory = self.repos.directory
        staff = every_page(
            lambda start: directory.list_staff(school_id, limit=1000, start_key=start)
        )
        students = every_page(
            lambda start: directory.list_school_students(school_id, limit=1000, start_key=start)
        )
        known = {s.id: s for s in students}
        guardian_ids: set[str] = set()
        for links in map(directory.list_guardians, known):
            guardian_ids.update(link.guardian_id for link in links)
        guardians = sum(
            1 for g in sorted(guardian_ids) if self._guardian_school(g, known) == school_id
        )
        return {
            RespondentGroup.STAFF: sum(1 for u in staff if u.role in STAFF_ROLES),
            RespondentGroup.GUARDIAN: guardians,
            RespondentGroup.STUDENT: sum(1 for s in students if s.grade >= FIRST_ASKED_GRADE),
        }

    def _guardian_school(self, guardian_id: str, known: dict[str, Student]) -> str | None:
        if guardian_id not in self._guardians:
            children = []
            for link in self.repos.directory.list_children(guardian_id):
                child = known.get(link.student_id) or self._student(link.student_id)
                if child is not None:
                    children.append(child)
            self._guardians[guardian_id] = survey_school(children)
        return self._guardians[guardian_id]

    def _student(self, student_id: str) -> Student | None:
        try:
            return self.repos.directory.get_student(student_id)
        except NotFound:
            return None


def _final(census: SchoolCensus | None) -> bool:
    return census is not None and census.final
