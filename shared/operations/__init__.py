"""Running the system for the bureau (docs/runbook.md): fault reports (报修) and their one-day
promise, satisfaction surveys (好差评), and the yearly cost of the deployed design."""
