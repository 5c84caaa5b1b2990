"""好差评 (satisfaction surveys) in the directory table (`shared.operations.surveys` holds
the rules):

    DISTRICT#SURVEYS / SETTINGS                     the district's survey periods
    SURVEYS / SURVEY#<id>                           a survey and its days, once it has begun
    SURVEY#<id>#RESPONDED#<user id> / RESPONDED     that this person answered: nothing else
    SURVEY#<id>#ANSWERS / ANSWER#<random id>        an answer: group, school, levels, text
    SURVEY#<id>#TALLIES / SCHOOL#<id>#<group>       counters: n, and answers per aspect × level
    SURVEY#<id>#CENSUS / SCHOOL#<id>                who the school had to ask, by group
    SURVEY_FOLLOW_UP#<random id> / FOLLOW_UP        a 差评 to follow up (gsi1: by state)

Once per person and anonymity, by construction: one transaction writes the marker (on
condition it does not exist: a second answer fails as a whole), the answer, the counters and
any follow-up. The marker holds no answer and no time; the answer, counters and follow-up
hold no person and no time; none of them has an index entry naming a person. Nothing stored
joins an answer to who gave it — not an attribute, a key, an index or an order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.db import keys
from shared.db.codec import Item, from_item, model_item, to_item, to_model
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    find_model,
    query_models,
    storage_errors,
    transact_add,
    transact_put,
)
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, GrowthError, NotFound
from shared.operations.surveys import (
    Aspect,
    FollowUp,
    FollowUpStatus,
    Level,
    RespondentGroup,
    SchoolCensus,
    Survey,
    SurveyAnswer,
    SurveySettings,
    Tally,
    tally_counter,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOT_EXISTS = "attribute_not_exists(pk)"
Start = Mapping[str, Any] | None


class SurveyRepository:
    """The district's survey settings, surveys, answers with their markers and counters, each
    school's census, and the follow-ups."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    # ------------------------------------------------------------------ settings and surveys

    def get_settings(self) -> SurveySettings:
        """The district's survey periods; the defaults (06-01 and 12-01) if never saved."""
        found = find_model(
            self._table, SurveySettings, keys.survey_settings(), Entity.SURVEY_SETTINGS
        )
        return found if found is not None else SurveySettings()

    def put_settings(self, settings: SurveySettings) -> None:
        item = model_item(keys.survey_settings(), keys.SURVEY_SETTINGS, settings)
        with storage_errors(Entity.SURVEY_SETTINGS):
            self._table.put(item)

    def begin_survey(self, survey: Survey) -> Survey:
        """Store a survey that has begun, unless it is stored already: the stored one wins
        (its days stay as they were when it began, whatever the settings say since)."""
        item = model_item(keys.survey(survey.id), keys.SURVEY, survey)
        try:
            with storage_errors(
                Entity.SURVEY, on_condition=lambda _: Conflict.already_exists(Entity.SURVEY)
            ):
                self._table.put(item, NOT_EXISTS)
        except Conflict:
            return self.get_survey(survey.id)
        return survey

    def get_survey(self, survey_id: str) -> Survey:
        found = find_model(self._table, Survey, keys.survey(survey_id), Entity.SURVEY)
        if found is None:
            raise NotFound(Entity.SURVEY)
        return found

    def list_surveys(self) -> list[Survey]:
        """Every survey that has begun, oldest first (two a year)."""
        with storage_errors(Entity.SURVEY):
            items = self._table.query_all(keys.SURVEYS)
        return [to_model(Survey, item) for item in items]

    # ------------------------------------------------------------------ answering

    def has_responded(self, survey_id: str, user_id: str) -> bool:
        """Whether this person answered the survey (strongly consistent: read just before
        showing them the form)."""
        key = keys.survey_responded(survey_id, user_id)
        with storage_errors(Entity.SURVEY_ANSWER):
            return self._table.get(key.pk, key.sk, consistent=True) is not None

    def record_answer(
        self, user_id: str, answer: SurveyAnswer, follow_up: FollowUp | None = None
    ) -> None:
        """Store an answer: the person's marker (on condition they have none: Conflict
        SURVEY_ALREADY_ANSWERED otherwise), the answer, its school's counters and its
        follow-up, all or nothing. `user_id` goes into the marker's key and nowhere else."""
        if follow_up is not None and follow_up.survey_id != answer.survey_id:
            raise ValueError("a follow-up belongs to its answer's survey")
        marker = keys.survey_responded(answer.survey_id, user_id)
        actions = [
            transact_put(
                self._table.name,
                to_item({**marker._asdict(), "item_type": keys.SURVEY_RESPONDED}),
                NOT_EXISTS,
            ),
            transact_put(self._table.name, _answer_item(answer), NOT_EXISTS),
            self._count(answer),
        ]
        if follow_up is not None:
            actions.append(transact_put(self._table.name, _follow_up_item(follow_up), NOT_EXISTS))

        def failed(index: int | None) -> GrowthError:
            if index == 0:
                return Conflict(ErrorCode.SURVEY_ALREADY_ANSWERED)
            return Conflict.already_exists(Entity.SURVEY_ANSWER)  # a random id drawn twice

        with storage_errors(Entity.SURVEY_ANSWER, on_condition=failed):
            self._table.transact(actions)

    def _count(self, answer: SurveyAnswer) -> dict[str, Any]:
        counters = {"n": 1} | {
            tally_counter(aspect, level): 1 for aspect, level in answer.levels.items()
        }
        return transact_add(
            self._table.name,
            keys.survey_tally(answer.survey_id, answer.school_id, answer.group)._asdict(),
            counters,
            attributes={
                "item_type": keys.SURVEY_TALLY,
                "survey_id": answer.survey_id,
                "school_id": answer.school_id,
                "group": answer.group.value,
            },
        )

    def list_tallies(self, survey_id: str) -> list[Tally]:
        """Each school's groups' counters of a survey (a district's: a few hundred schools ×
        three groups, one Query read page after page)."""
        with storage_errors(Entity.SURVEY):
            items = self._table.query_all(keys.survey_tallies(survey_id))
        return [_tally(from_item(item)) for item in items]

    # ------------------------------------------------------------------ census

    def put_census(self, census: SchoolCensus) -> bool:
        """Store a school's census unless a final one is stored (frozen once the survey has
        closed): returns whether this call stored it."""
        item = model_item(
            keys.survey_census(census.survey_id, census.school_id), keys.SURVEY_CENSUS, census
        )
        try:
            with storage_errors(
                Entity.SURVEY, on_condition=lambda _: Conflict.already_exists(Entity.SURVEY)
            ):
                self._table.put(item, "attribute_not_exists(pk) OR #final = :open", open=False)
        except Conflict:
            return False
        return True

    def list_census(self, survey_id: str) -> list[SchoolCensus]:
        """Every school's census of a survey."""
        with storage_errors(Entity.SURVEY):
            items = self._table.query_all(keys.survey_census_partition(survey_id))
        return [to_model(SchoolCensus, item) for item in items]

    # ------------------------------------------------------------------ follow-ups

    def get_follow_up(self, follow_up_id: str) -> FollowUp:
        found = find_model(
            self._table,
            FollowUp,
            keys.survey_follow_up(follow_up_id),
            Entity.SURVEY_FOLLOW_UP,
            consistent=True,
        )
        if found is None:
            raise NotFound(Entity.SURVEY_FOLLOW_UP)
        return found

    def list_follow_ups(
        self,
        status: FollowUpStatus,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[FollowUp]:
        """The follow-ups in one state, the newest survey's first."""
        return query_models(
            self._table,
            FollowUp,
            Entity.SURVEY_FOLLOW_UP,
            keys.survey_follow_ups(status),
            index="gsi1",
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    def save_follow_up(self, follow_up: FollowUp) -> None:
        """Store a handled follow-up on condition that it is still open (Conflict
        CONCURRENT_CHANGE if another operator handled it meanwhile)."""
        changed = Conflict.changed_meanwhile(Entity.SURVEY_FOLLOW_UP)
        with storage_errors(Entity.SURVEY_FOLLOW_UP, on_condition=lambda _: changed):
            self._table.put(_follow_up_item(follow_up), "#status = :open", open=FollowUpStatus.OPEN)


def _answer_item(answer: SurveyAnswer) -> Item:
    return model_item(keys.survey_answer(answer.survey_id, answer.id), keys.SURVEY_ANSWER, answer)


def _follow_up_item(follow_up: FollowUp) -> Item:
    return model_item(
        keys.survey_follow_up(follow_up.id),
        keys.SURVEY_FOLLOW_UP,
        follow_up,
        gsi1pk=keys.survey_follow_ups(follow_up.status),
        gsi1sk=f"{follow_up.survey_id}#{follow_up.id}",
    )


def _tally(plain: Mapping[str, Any]) -> Tally:
    counts = {
        aspect: {level: int(plain.get(tally_counter(aspect, level), 0)) for level in Level}
        for aspect in Aspect
    }
    return Tally(
        survey_id=plain["survey_id"],
        school_id=plain["school_id"],
        group=RespondentGroup(plain["group"]),
        n=int(plain.get("n", 0)),
        counts=counts,
    )
