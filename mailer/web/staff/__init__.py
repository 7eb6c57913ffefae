"""The staff console under ``/staff``: accounts, sessions, roles and the pages staff use.

Modules, one way (the route modules are leaves; ``routes`` assembles them)::

    errors     the console's errors
    tables     staff, staff_sessions, staff_login_failures (migration 0009)
    accounts   add / list / disable / reset, sign-in with the lock-out, roles and ACTIONS
    sessions   signed session cookie + database row; idle and absolute timeouts; CSRF tokens
    console    what the pages share: the services, the guard (session, role, CSRF), audit
    charts     inline SVG bar charts drawn on the server
    auth, issues, campaigns, reports, people, audit   route modules (leaves)
    routes     assembles the routes (``mailer.web.app`` mounts them)

This package file imports nothing, so ``newsletter staff`` loads only ``accounts``.
"""
