"""The reminders function: EventBridge Scheduler's half-hourly tick → the reminder digests."""
