"""The validation function: S3 upload notifications (via SQS) → the upload pipeline."""
