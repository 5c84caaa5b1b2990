"""The data layer: DynamoDB table definitions (`tables`) and repositories over an injected
client (`repositories`). Importing this package creates no client and reads no setting."""
