"""Send: the ledger and the sender: an ``Email`` and an audience → deliveries → a transport.

Modules: ``states`` (campaign and delivery states), ``tables`` (the ledger's tables),
``campaigns`` (one campaign per issue id, frozen email), ``deliveries`` (snapshot, claim,
settle, expire), ``lock`` (the campaign lock), ``sender`` (claim → deliver → settle),
``plans`` (what ``send ISSUE`` and ``send --due`` run), ``runs`` (a whole run as one library
call: ``send_issue``, ``send_due``).

May import: ``mailer.transports``, ``mailer.render``, ``mailer.content``, ``subscribers``.
Never imports ``events``, ``web`` or ``cli``.
"""
