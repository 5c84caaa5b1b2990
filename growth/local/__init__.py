"""`growth local`: the whole system on one machine, the way it runs in AWS.

    platform.py   starts and stops everything (moto, the runner, the API, the dev issuer)
    provision.py  buckets, queues, notifications, tables and the bus, from `shared.resources`
                  and `shared.db.tables` (the definitions the infrastructure deploys)
    s3events.py   what moto's S3 notifications lack beside AWS's (versionId, sequencer)
    runner.py     Lambda's SQS event-source mapping and EventBridge Scheduler's schedules
    control.py    fires a schedule of the running platform (`growth local remind --at`)
    issuer.py     the development issuer's JWKS, served over HTTP like Cognito's
    seed.py       the generated demo district, written through the repositories
    state.py      the state directory: dev key, page-token secret, control key, demo logins
    commands.py   the `growth local` commands

Nothing here is imported by the API or the functions: it only plays AWS's part around them.
"""
