"""The compaction function: EventBridge Scheduler's nightly tick → the lake's files merged."""
