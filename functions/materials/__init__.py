"""The materials function: a student's uploaded material (S3 → SQS) → its served copy."""
