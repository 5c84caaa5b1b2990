"""The roster function: a machine client's OneRoster bundle (S3 → SQS) → the directory."""
