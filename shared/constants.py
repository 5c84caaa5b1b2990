"""Names shared by runtime settings and the infrastructure code, so the two cannot drift.

Environment variable names live here once; `shared.settings` reads them and the CDK stacks
(`infrastructure/`) set them.
"""

from typing import Final

ENV_PREFIX: Final = "GROWTH_"

# AWS access. The region comes from the standard AWS variable that Lambda sets.
ENV_AWS_REGION: Final = "AWS_REGION"
ENV_AWS_ENDPOINT_URL: Final = "GROWTH_AWS_ENDPOINT_URL"  # moto server locally; unset in AWS

# Authentication: the issuer and app client whose ID tokens the API accepts (a Cognito user
# pool in AWS, the development issuer locally). The JWKS URL defaults to the issuer's
# `/.well-known/jwks.json`, which is where both of them publish their keys.
ENV_AUTH_ISSUER: Final = "GROWTH_AUTH_ISSUER"
ENV_AUTH_AUDIENCE: Final = "GROWTH_AUTH_AUDIENCE"
ENV_AUTH_JWKS_URL: Final = "GROWTH_AUTH_JWKS_URL"

# DynamoDB tables (definitions in shared/db/tables.py): the names differ per deployment.
ENV_DIRECTORY_TABLE: Final = "GROWTH_DIRECTORY_TABLE"
ENV_RECORDS_TABLE: Final = "GROWTH_RECORDS_TABLE"
ENV_AUDIT_TABLE: Final = "GROWTH_AUDIT_TABLE"

# The API.
ENV_PAGE_TOKEN_SECRET: Final = "GROWTH_PAGE_TOKEN_SECRET"  # noqa: S105 - a variable name
ENV_UPLOADS_BUCKET: Final = "GROWTH_UPLOADS_BUCKET"
ENV_REPORTS_BUCKET: Final = "GROWTH_REPORTS_BUCKET"
ENV_DISTRICT_CODE: Final = "GROWTH_DISTRICT_CODE"  # the district this deployment serves

# The pipeline.
ENV_LAKE_BUCKET: Final = "GROWTH_LAKE_BUCKET"
ENV_EVENT_BUS: Final = "GROWTH_EVENT_BUS"
ENV_IDEMPOTENCY_TABLE: Final = "GROWTH_IDEMPOTENCY_TABLE"
ENV_UPLOAD_EVENTS_QUEUE: Final = "GROWTH_UPLOAD_EVENTS_QUEUE"
# Operations: the queues whose dead letters the redrive function may move back, as JSON
# {"<logical name>": {"source": "<queue URL>", "dead_letters": "<queue URL>"}}.
ENV_REDRIVE_QUEUES: Final = "GROWTH_REDRIVE_QUEUES"
