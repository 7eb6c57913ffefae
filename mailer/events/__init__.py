"""Events: SendGrid's signed webhook → verified, parsed events → recorded, applied, reported.

Modules: ``webhook`` (verify + parse; pure functions), ``tables`` (the ``events`` table),
``store`` (record, idempotent by ``sg_event_id``), ``effects`` (suppress and unsubscribe through
the rules of ``subscribers.suppression``, settle unknown deliveries), ``alerts`` (auto-pause on
complaints and bounces), ``report`` (a campaign's outcome).

May import: ``mailer.send`` and everything below it, and ``subscribers``. Never imports
``web`` or ``cli``.
"""
