"""Content: an issue file (YAML) → a validated, frozen ``Issue``.

Modules: ``source`` (safe YAML with the position of every value), ``issue`` (the pydantic
model, loading and settings references), ``lint`` (advice and errors about a loaded issue and
the brand colours, found without rendering), ``schema`` (the JSON Schema editors use),
``salvage`` (what of an invalid issue the staff preview can still show).

May import: ``mailer.errors``, ``mailer.settings``, the standard library and third-party
parsers. Never imports ``render``, ``send``, ``events``, ``transports``, ``web`` or ``cli``,
not even lazily inside a function.
"""
