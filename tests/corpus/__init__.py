"""A corpus of bad input files, built in memory by the tests themselves (RELIABILITY.md,
"Bad inputs the ingestion must survive")."""
