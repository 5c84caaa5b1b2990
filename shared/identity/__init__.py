"""Who the caller is: verifying ID tokens, and the development issuer that mints them locally.

`tokens` is the one verification path for Cognito and for the dev issuer. `dev_issuer` is
imported only by the local platform and tests, never by code that runs in AWS.
"""
