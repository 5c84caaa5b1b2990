"""Connections to the district's other systems through standard interfaces (OneRoster, …)."""
