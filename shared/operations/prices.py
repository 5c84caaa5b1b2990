"""A region's AWS list prices in CNY, as data (`prices-cn-northwest-1.json` beside this module,
or any file of the same shape given to `growth ops cost --prices`): each price with its page
and whether it was checked there (docs/cost.md).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

DEFAULT_PRICES: Final = Path(__file__).with_name("prices-cn-northwest-1.json")


class Price(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    item: str  # Chinese
    unit: str  # Chinese: what `cny` buys, e.g. 每百万次调用
    per: float = Field(gt=0)  # how many of the metered quantity `cny` buys
    cny: float = Field(ge=0)
    verified: bool
    source_url: str
    note: str = ""


PRICE_KEYS: Final = (
    "lambda_requests",
    "lambda_gb_s_arm",
    "api_gateway_rest_requests",
    "dynamodb_write_request_units",
    "dynamodb_read_request_units",
    "dynamodb_storage_gb_month",
    "dynamodb_pitr_gb_month",
    "s3_standard_gb_month",
    "s3_standard_ia_gb_month",
    "s3_put_requests",
    "s3_get_requests",
    "s3_transition_requests",
    "s3_data_out_gb",
    "cloudfront_data_out_gb",
    "cloudfront_https_requests",
    "sqs_requests",
    "eventbridge_events",
    "scheduler_invocations",
    "cloudwatch_alarms",
    "cloudwatch_logs_ingest_gb",
    "cloudwatch_logs_storage_gb_month",
    "kms_keys",
    "kms_requests",
    "secrets_manager_secrets",
    "secrets_manager_api_calls",
    "athena_tb_scanned",
)


class PriceList(BaseModel):
    """A region's list prices in CNY, each with its page and whether it was checked there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str
    region_name: str
    operator: str
    currency: str = Field(pattern="^CNY$")
    checked_on: date
    method: str = ""
    free_tier: str
    prices: dict[str, Price]

    def price(self, key: str) -> Price:
        return self.prices[key]

    def unverified(self) -> list[str]:
        return [k for k, p in self.prices.items() if not p.verified]


def load_prices(path: Path | None = None) -> PriceList:
    """The price list in `path` (default: the Ningxia list beside this module). Every key of
    `PRICE_KEYS` must be priced; a file that is unreadable or incomplete is refused."""
    path = path or DEFAULT_PRICES
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            ErrorCode.INPUT_UNREADABLE, path=str(path), detail=exc.strerror or str(exc)
        ) from exc
    try:
        document = json.loads(text)
        if isinstance(document, dict) and document.get("currency", "CNY") != "CNY":
            currency = document["currency"]
            detail = f"价格文件 {path} 的币种（currency）应为 CNY，而不是 {currency}"
            raise InvalidInput(ErrorCode.REQUEST_INVALID, detail=detail)
        prices = PriceList.model_validate(document)
    except (ValueError, ValidationError) as exc:
        detail = f"价格文件 {path} 格式不对：{_first_error(exc)}"
        raise InvalidInput(ErrorCode.REQUEST_INVALID, detail=detail) from exc
    missing = [k for k in PRICE_KEYS if k not in prices.prices]
    if missing:
        detail = f"价格文件 {path} 缺少这些价格：{'、'.join(missing)}"
        raise InvalidInput(ErrorCode.REQUEST_INVALID, detail=detail)
    return prices


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)
