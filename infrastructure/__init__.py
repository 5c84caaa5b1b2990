"""The AWS CDK app: the whole system as one stack per stage (see README, Deployment)."""
