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
# Machine clients' credentials (shared.identity.credentials): who issues them when the district
# admin registers a client — "cognito" (the user pool's app clients), "local" (the development
# issuer's), or unset (an external provider: the district registers the client there).
ENV_CLIENT_CREDENTIALS: Final = "GROWTH_CLIENT_CREDENTIALS"
ENV_USER_POOL_ID: Final = "GROWTH_USER_POOL_ID"
ENV_LOCAL_ISSUER_SECRET: Final = "GROWTH_LOCAL_ISSUER_SECRET"  # noqa: S105 - a variable name

# DynamoDB tables (definitions in shared/db/tables.py): the names differ per deployment.
ENV_DIRECTORY_TABLE: Final = "GROWTH_DIRECTORY_TABLE"
ENV_RECORDS_TABLE: Final = "GROWTH_RECORDS_TABLE"
ENV_AUDIT_TABLE: Final = "GROWTH_AUDIT_TABLE"
ENV_NOTIFICATIONS_TABLE: Final = "GROWTH_NOTIFICATIONS_TABLE"

# The API.
ENV_PAGE_TOKEN_SECRET: Final = "GROWTH_PAGE_TOKEN_SECRET"  # noqa: S105 - a variable name
ENV_UPLOADS_BUCKET: Final = "GROWTH_UPLOADS_BUCKET"
ENV_REPORTS_BUCKET: Final = "GROWTH_REPORTS_BUCKET"
ENV_DISTRICT_CODE: Final = "GROWTH_DISTRICT_CODE"  # the district this deployment serves
# How long a change waits before the change feed serves it (shared.integration.changes).
ENV_CHANGE_FEED_LAG_S: Final = "GROWTH_CHANGE_FEED_LAG_S"

# The pipeline.
ENV_LAKE_BUCKET: Final = "GROWTH_LAKE_BUCKET"
# Students' materials (the API signs their uploads and downloads; the materials function
# processes them).
ENV_MATERIALS_BUCKET: Final = "GROWTH_MATERIALS_BUCKET"
ENV_EVENT_BUS: Final = "GROWTH_EVENT_BUS"
ENV_IDEMPOTENCY_TABLE: Final = "GROWTH_IDEMPOTENCY_TABLE"
ENV_UPLOAD_EVENTS_QUEUE: Final = "GROWTH_UPLOAD_EVENTS_QUEUE"
# Operations: the queues whose dead letters the redrive function may move back, as JSON
# {"<logical name>": {"source": "<queue URL>", "dead_letters": "<queue URL>"}}.
ENV_REDRIVE_QUEUES: Final = "GROWTH_REDRIVE_QUEUES"
# How a large upload's import is cut into slices, and when an invocation hands the rest on.
ENV_IMPORT_SLICE_ROWS: Final = "GROWTH_IMPORT_SLICE_ROWS"
ENV_IMPORT_HAND_OVER_S: Final = "GROWTH_IMPORT_HAND_OVER_S"
# Observability (shared.observability.metrics): where the metrics' EMF lines go. Unset (AWS):
# standard output, which Lambda sends to CloudWatch Logs; the local platform sets a file.
ENV_METRICS_FILE: Final = "GROWTH_METRICS_FILE"

# Notifications (shared/notify): which channels the district enabled and how each reaches
# people. Channels are comma-separated (`email,wecom`); email goes through SMTP or SES.
ENV_NOTIFY_CHANNELS: Final = "GROWTH_NOTIFY_CHANNELS"
ENV_EMAIL_VIA: Final = "GROWTH_EMAIL_VIA"  # smtp | ses
ENV_EMAIL_FROM: Final = "GROWTH_EMAIL_FROM"  # the sender address, SMTP and SES alike
ENV_EMAIL_FROM_NAME: Final = "GROWTH_EMAIL_FROM_NAME"  # its display name (Chinese is fine)
ENV_SMTP_HOST: Final = "GROWTH_SMTP_HOST"
ENV_SMTP_PORT: Final = "GROWTH_SMTP_PORT"  # unset: 587, 465 or 25 by the security
ENV_SMTP_SECURITY: Final = "GROWTH_SMTP_SECURITY"  # starttls | tls | plain (local sink only)
ENV_SMTP_SECRET_ID: Final = "GROWTH_SMTP_SECRET_ID"  # noqa: S105 - {"username","password"}
ENV_SMTP_TIMEOUT_S: Final = "GROWTH_SMTP_TIMEOUT_S"
ENV_SES_IDENTITY_ARN: Final = "GROWTH_SES_IDENTITY_ARN"
ENV_WECOM_SECRET_ID: Final = "GROWTH_WECOM_SECRET_ID"  # noqa: S105 - {"corp_id","corp_secret"}
ENV_WECOM_AGENT_ID: Final = "GROWTH_WECOM_AGENT_ID"
ENV_WECOM_BASE_URL: Final = "GROWTH_WECOM_BASE_URL"
ENV_WECOM_RATE_PER_S: Final = "GROWTH_WECOM_RATE_PER_S"
ENV_WECOM_MSGTYPE: Final = "GROWTH_WECOM_MSGTYPE"  # text | textcard
# The web app's base URL: links in messages point into it.
ENV_WEB_URL: Final = "GROWTH_WEB_URL"
