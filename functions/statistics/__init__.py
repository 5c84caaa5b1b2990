"""The statistics function: accepted uploads and changed records (EventBridge → SQS) → class
figures, students' places and grade roll-ups."""
