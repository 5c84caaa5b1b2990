"""The upload pipeline: an uploaded object version → validated records, lake rows, a report and
a final submission state (docs/pipeline.md)."""
