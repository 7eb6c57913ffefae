"""Subscriber store: lists, interests, consent, import/export, tokens, audit log.

This package sits below ``mailer`` and never imports it. Modules, one job each:

``db``          URLs, engines (SQLite WAL + BEGIN IMMEDIATE, PostgreSQL/psycopg 3), migrations
``models``      the tables (shared ``metadata``) and status names
``records``     Subscriber / Consent values and read-only lookups
``store``       opt-in, confirm, unsubscribe, bounce/complaint suppression, preferences
``suppression`` the rules of unsubscribe, hard bounce and complaint, for many ids at once
``privacy``     forget (GDPR erasure), export_data (subject access), purge_pending
``fps``         suppress_address: Fundraising Preference Service requests, subscriber or not
``audience``    iter_audience / count_audience for the sender, active_ids_for
``bulk``        fast multi-row inserts, ``= ANY(array)`` lookups, chunks of ids
``csvrows``     reading an import CSV (with each row's lawful basis); ``importknown`` what the
                store holds about a batch; ``importer`` landing it; ``exporter`` CSV out, counts
``keys``        secret keys from the environment, keyed address hashes
``tokens``      signed unsubscribe / preferences / confirm tokens
``audit``       the append-only audit log
``errors``      the exception tree
"""

from __future__ import annotations
