"""Python values ↔ DynamoDB attribute values: the one place where they are converted.

Models are stored flat, one attribute per field, as `model_dump(mode="json")` gives them (dates
as ISO text, enums as their values). DynamoDB numbers are exact decimals: floats go in as the
Decimal of their shortest repr (so 92.5 stays 92.5), and come out as int when integral, float
otherwise. A top-level field that is None is left out rather than stored as NULL, so that
conditions (`attribute_not_exists`) and sparse indexes see it as absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from pydantic import BaseModel

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    from shared.db.keys import Key

# A low-level item: attribute name → {"S": ...} / {"N": ...} / {"M": ...} ...
Item = dict[str, Any]
M = TypeVar("M", bound=BaseModel)

# Attributes that exist for storage only (keys, index keys, item type, expiry), never fields.
STORAGE_ATTRIBUTES: Final = frozenset(
    {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
    | {"item_type", "expires_at"}
)


@cache
def _serializer() -> TypeSerializer:
    # boto3 is imported on first use: importing this module must stay cheap (cold starts).
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def model_attributes(model: BaseModel) -> dict[str, Any]:
    """The fields of a model as plain, storable Python values (top-level Nones left out)."""
    return {k: v for k, v in model.model_dump(mode="json").items() if v is not None}


def to_item(attributes: Mapping[str, Any]) -> Item:
    """Plain Python values → a low-level item."""
    serializer = _serializer()
    return {name: serializer.serialize(_to_dynamo(value)) for name, value in attributes.items()}


def model_item(key: Key, item_type: str, model: BaseModel, **index_keys: str) -> Item:
    """A model's item: its key, item type and index keys, then the model's attributes."""
    return to_item(
        {**key._asdict(), "item_type": item_type, **index_keys, **model_attributes(model)}
    )


def to_value(value: Any) -> dict[str, Any]:
    """One plain value → an attribute value (for key conditions and expression values)."""
    return cast("dict[str, Any]", _serializer().serialize(_to_dynamo(value)))


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item → plain Python values (numbers as int or float)."""
    deserializer = _deserializer()
    return {name: _from_dynamo(deserializer.deserialize(value)) for name, value in item.items()}


def to_model(model: type[M], item: Mapping[str, Any]) -> M:
    """A low-level item → the model it stores (storage-only attributes dropped)."""
    fields = {k: v for k, v in from_item(item).items() if k not in STORAGE_ATTRIBUTES}
    return model.model_validate(fields)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, bool):  # bool is an int: keep it a BOOL
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        return float(value)
    if isinstance(value, Mapping):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value
