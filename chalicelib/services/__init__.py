"""Use cases of the API, one module per resource: policy checks, then repositories, then views."""
