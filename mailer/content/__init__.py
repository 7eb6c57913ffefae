"""Content: an issue file (YAML) → a validated, frozen ``Issue``.

Modules: ``source`` (safe YAML with the position of every value), ``diagnose`` (YAML syntax
errors in plain English), ``issue`` (the pydantic model, loading and settings references),
``messages`` (schema errors in plain English), ``codes`` (every message code and its long
form), ``times`` (times read in ``timezone:``), ``lint`` (advice and errors about an issue's
data and the brand colours, found without rendering), ``ids`` (one id per issue file),
``schema`` and ``fielddocs`` (the JSON Schema editors use, with a description and example per
field), ``salvage`` (what of an invalid issue the staff preview can still show).

May import: ``mailer.errors``, ``mailer.settings``, the standard library and third-party
parsers. Never imports ``render``, ``send``, ``events``, ``transports``, ``web`` or ``cli``,
not even lazily inside a function.
"""
