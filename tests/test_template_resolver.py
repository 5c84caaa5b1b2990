"""The one "built-in, else district" template lookup (`TemplateResolver`): a built-in id is
answered from the package, any other from the district's templates, each version read once."""

from __future__ import annotations

import pytest

from shared.error_codes import Entity
from shared.exceptions import NotFound
from shared.templates import Template, TemplateResolver, builtin_registry
from tests.db_helpers import district_template


class FakeDistrictTemplates:
    """District templates in memory, counting reads (the collection repository's reader)."""

    def __init__(self, *templates: Template) -> None:
        self.templates = {(t.id, t.version): t for t in templates}
        self.reads: list[tuple[str, int | None]] = []

    def __call__(self, template_id: str, version: int | None = None) -> Template:
        self.reads.append((template_id, version))
        versions = [t for (i, v), t in self.templates.items() if i == template_id]
        if version is not None:
            versions = [t for t in versions if t.version == version]
        if not versions:
            raise NotFound(Entity.TEMPLATE)
        return max(versions, key=lambda t: t.version)


def test_a_builtin_id_is_answered_from_the_package() -> None:
    district = FakeDistrictTemplates()
    resolver = TemplateResolver(district)
    assert resolver.get("academic-score", 1) == builtin_registry().get("academic-score", 1)
    assert resolver.get("fitness-test") == builtin_registry().get("fitness-test")
    assert district.reads == []


def test_a_builtin_id_in_a_version_that_does_not_exist_is_not_found_anywhere() -> None:
    district = FakeDistrictTemplates()
    with pytest.raises(NotFound):
        TemplateResolver(district).get("academic-score", 99)
    assert district.reads == []


def test_other_ids_are_the_districts_and_each_version_is_read_once() -> None:
    # Given a district template in two versions
    district = FakeDistrictTemplates(district_template(1), district_template(2))
    resolver = TemplateResolver(district)
    # When one version is asked for three times and the latest twice
    for _ in range(3):
        assert resolver.get("reading-log", 1).version == 1
    assert resolver("reading-log").version == 2
    assert resolver.get("reading-log").version == 2
    # Then the version was read once; the latest, which may change, each time
    assert district.reads == [("reading-log", 1), ("reading-log", None), ("reading-log", None)]
    # And a version read as the latest is then known by its number
    assert resolver.get("reading-log", 2).version == 2
    assert len(district.reads) == 3


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFound):
        TemplateResolver(FakeDistrictTemplates()).get("no-such-template", 1)
