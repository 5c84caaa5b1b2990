"""Templates as callers name them: the latest of each (built-in, then the district's), and one
by id that must exist, with a Chinese error naming the ones there are.

The API's template routes and the ingest use case (`shared.integration.ingest`) share these,
over the collection repository's district templates and `TemplateResolver`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput, NotFound
from shared.templates.model import Template
from shared.templates.registry import TemplateResolver, builtin_registry

if TYPE_CHECKING:
    from shared.db.collection import CollectionRepository


def latest_templates(collection: CollectionRepository) -> list[Template]:
    """The latest version of every template: the built-in ones, then the district's."""
    from shared.db.dynamo import MAX_PAGE_SIZE, every_page

    latest: dict[str, Template] = {}
    district = every_page(
        lambda start: collection.list_templates(limit=MAX_PAGE_SIZE, start_key=start)
    )
    for template in district:  # by id, then version: the last of each id is its latest
        latest[template.id] = template
    return [*builtin_registry().latest(), *latest.values()]


def known_template(
    collection: CollectionRepository,
    template_id: str,
    version: int | None = None,
    *,
    field: str = "template_id",
) -> Template:
    """A template by id (and version, else its latest), built-in or the district's;
    InvalidInput TEMPLATE_NOT_FOUND naming the templates there are (`field`: where the caller
    named it). Retired templates are found: whether one may still be used is the caller's."""
    try:
        return TemplateResolver(collection.get_template).get(template_id, version)
    except NotFound:
        available = "、".join(sorted({t.id for t in latest_templates(collection)}))
        wanted = template_id if version is None else f"{template_id}@{version}"
        raise InvalidInput(
            ErrorCode.TEMPLATE_NOT_FOUND, field=field, template=wanted, available=available
        ) from None
