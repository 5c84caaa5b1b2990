"""Names shared by runtime settings and the infrastructure code, so the two cannot drift.

Environment variable names live here once; `shared.settings` reads them and the CDK stacks
(`infrastructure/`) set them.
"""

from typing import Final

ENV_PREFIX: Final = "GROWTH_"

# AWS access. The region comes from the standard AWS variable that Lambda sets.
ENV_AWS_REGION: Final = "AWS_REGION"
ENV_AWS_ENDPOINT_URL: Final = "GROWTH_AWS_ENDPOINT_URL"  # moto server locally; unset in AWS
