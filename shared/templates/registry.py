"""The one template registry: built-in templates from TOML files, plus any district templates.

Templates are looked up by id (latest version) or by id and version. Built-in files are read
once, on first use. `TemplateResolver` is the one "built-in, else district" lookup: the API and
the pipeline give it the reader of district templates.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources

from pydantic import ValidationError

from shared.error_codes import Entity, ErrorCode
from shared.exceptions import InvalidInput, NotFound, TemplateFieldInvalid, TemplateInvalid
from shared.templates.model import Template


def parse_template(data: dict[str, object], *, source: str) -> Template:
    """Validate one template definition, naming the source and the broken field on failure
    (TemplateFieldInvalid, whose `field` is the dotted path, empty for a whole-template rule)."""
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        place = f"{source}: {where}" if where else source
        raise TemplateFieldInvalid(f"{place}: {first['msg']}", field=where) from exc


def load_toml(text: str, *, source: str) -> Template:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateInvalid(f"{source}: {exc}") from exc
    return parse_template(data, source=source)


class TemplateRegistry:
    """Templates by id and version."""

    def __init__(self, templates: Iterable[Template]) -> None:
        self._by_ref: dict[tuple[str, int], Template] = {}
        for template in templates:
            key = (template.id, template.version)
            if key in self._by_ref:
                raise TemplateInvalid(f"template {template.ref} is defined twice")
            self._by_ref[key] = template

    def get(self, template_id: str, version: int | None = None) -> Template:
        versions = [t for (tid, _), t in self._by_ref.items() if tid == template_id]
        if version is not None:
            versions = [t for t in versions if t.version == version]
        if not versions:
            raise InvalidInput(
                ErrorCode.TEMPLATE_NOT_FOUND,
                template=template_id if version is None else f"{template_id}@{version}",
                available="、".join(sorted({tid for tid, _ in self._by_ref})),
            )
        return max(versions, key=lambda t: t.version)

    def ids(self) -> frozenset[str]:
        return frozenset(tid for tid, _ in self._by_ref)

    def latest(self) -> list[Template]:
        """The newest version of every template, sorted by id."""
        ids = sorted({tid for tid, _ in self._by_ref})
        return [self.get(tid) for tid in ids]

    def with_templates(self, extra: Iterable[Template]) -> TemplateRegistry:
        return TemplateRegistry([*self._by_ref.values(), *extra])


@lru_cache(maxsize=1)
def builtin_registry() -> TemplateRegistry:
    folder = resources.files("shared.templates") / "builtin"
    templates = [
        load_toml(entry.read_text(encoding="utf-8"), source=entry.name)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]
    return TemplateRegistry(templates)


# Reads a district template by id and version (latest if None); NotFound if there is none.
DistrictTemplates = Callable[[str, int | None], Template]


class TemplateResolver:
    """The template a record, task or upload names: a built-in one (its id is built in), else
    a district one from `district` (e.g. `CollectionRepository.get_template`). NotFound
    (TEMPLATE) when there is none. A template version never changes once stored, so each is
    read once per resolver: make one per request, or one per container for versioned lookups."""

    def __init__(self, district: DistrictTemplates, builtin: TemplateRegistry | None = None):
        self._district = district
        self._builtin = builtin
        self._read: dict[tuple[str, int], Template] = {}

    def __call__(self, template_id: str, version: int | None = None) -> Template:
        return self.get(template_id, version)

    def get(self, template_id: str, version: int | None = None) -> Template:
        if version is not None and (template_id, version) in self._read:
            return self._read[(template_id, version)]
        builtin = self._builtin or builtin_registry()
        if template_id in builtin.ids():
            try:
                template = builtin.get(template_id, version)
            except InvalidInput:  # a built-in template, not in this version
                raise NotFound(Entity.TEMPLATE) from None
        else:
            template = self._district(template_id, version)
        # The latest version may change; a given one never does.
        self._read[(template.id, template.version)] = template
        return template
