"""The progress function: domain events (EventBridge → SQS) → completion and workload aggregates."""
