"""The `growth` command: the system's command-line entry points (thin; the work is in shared/)."""
