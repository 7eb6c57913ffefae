"""Render: a frozen ``Issue`` → the frozen ``Email`` (HTML, plain text, MJML), and MIME.

Modules: ``email`` (the ``Email`` value and its substitution tags), ``view`` (the Jinja2 view
model and ``render_issue``), ``markdown`` (Markdown → sanitised HTML and text, UTM), ``mjml``
(the one module that knows MRML), ``mime`` (one recipient's complete message), ``check``
(``check_paths``: load and lint each issue with ``mailer.content``, render it and check the
HTML size; it renders, so it lives here), ``images`` (local images → resized copies under
content-hashed names; the one module that knows Pillow), ``imagecheck`` (the image lint).

May import: ``mailer.content``, ``mailer.errors``, ``mailer.settings``. Never imports
``send``, ``events``, ``transports``, ``web`` or ``cli``.
"""
