"""Domain code of the student process-growth data system (学生过程性成长数据管理系统).

Layers, from the inside out: domain models and rules (`templates`, `ids`, `term`, `privacy`,
`ingest`) → adapters (`aws`) → entry points (`growth` CLI, `functions/`, `chalicelib/`).
Nothing here builds an AWS client at import time.
"""
