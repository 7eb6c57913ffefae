"""What each field of an issue file means, with an example: the hover text of an editor.

:mod:`mailer.content.schema` writes these into the JSON Schema as ``description`` and
``examples`` of every property; a test fails when a field of the model has no entry here.
Keyed by the model's name as the schema names it (``Issue`` for the top level).
"""

from __future__ import annotations

FIELD_DOCS: dict[str, dict[str, tuple[str, object]]] = {
    "Issue": {
        "id": (
            "Stable campaign id: lower-case letters, digits and hyphens. Defaults to the file "
            "name without .yaml. Never change it after sending: it names the campaign.",
            "2026-12-research-digest",
        ),
        "status": (
            "draft or ready. Scheduled jobs (newsletter send --due) only ever send ready "
            "issues, once send_at has passed.",
            "draft",
        ),
        "subject": (
            "The email's subject line, at most 150 characters; phones show about 78.",
            "New hope for secondary breast cancer",
        ),
        "preheader": (
            "The line inboxes show after the subject, at most 200 characters.",
            "Three projects we fund, and the people behind them.",
        ),
        "send_at": (
            "When a scheduled run may send the issue. Give the offset (+00:00 or Z), or set "
            "timezone: in newsletter.yaml to write local times.",
            "2026-12-03T09:00:00+00:00",
        ),
        "audience": (
            "Who receives it: a list, and optionally interests.",
            {"list": "research-news"},
        ),
        "layout": ("digest (several stories) or appeal (exactly one story).", "digest"),
        "intro": ("Opening paragraph. Markdown.", "Dear supporter, here is our news."),
        "stories": (
            "The research news items, in the order they appear.",
            [{"kind": "research", "title": "A new test", "summary": "What we found."}],
        ),
        "call_to_action": (
            "The closing appeal: a heading, text and a button.",
            {
                "heading": "Fund the next discovery",
                "text": "Every gift helps.",
                "button_label": "Donate today",
                "url": "https://www.example.org/donate",
            },
        ),
    },
    "Audience": {
        "list": ("Id of a mailing list defined in newsletter.yaml.", "research-news"),
        "interests": (
            "Only supporters who chose one of these interests (ids from newsletter.yaml).",
            ["secondary"],
        ),
    },
    "Story": {
        "kind": (
            "What the story is: research, trial, achievement, event, appeal or news.",
            "research",
        ),
        "title": ("The story's headline. Plain text.", "Old drugs, new job"),
        "researcher": (
            "The researcher the story is about.",
            {"name": "Dr Rachael Eyre", "institution": "University of Sheffield"},
        ),
        "summary": ("The story itself. Markdown.", "Our researchers found that…"),
        "quote": (
            "A quote with its attribution.",
            {"text": "This could change treatment.", "attribution": "Dr Rachael Eyre"},
        ),
        "image": (
            "A picture with its alt text.",
            {"src": "lab.jpg", "alt": "Dr Eyre at the microscope"},
        ),
        "link": (
            "Where to read more.",
            {"url": "https://www.example.org/research", "label": "Read about the project"},
        ),
        "doi": (
            "DOI of the paper behind the story, without https://doi.org/.",
            "10.1038/s41586-020-2649-2",
        ),
        "tags": ("Interest ids from newsletter.yaml the story is about.", ["secondary"]),
        "embargo_until": (
            "The issue may not be sent before this time (a press embargo).",
            "2026-12-02T00:01:00+00:00",
        ),
    },
    "Researcher": {
        "name": ("Full name with title.", "Dr Rachael Eyre"),
        "role": ("Job title or part in the project.", "Lecturer"),
        "institution": ("University or institute.", "University of Sheffield"),
    },
    "Quote": {
        "text": ("The words quoted. Plain text.", "This could change how we treat it."),
        "attribution": ("Who said it.", "Dr Rachael Eyre"),
        "role": ("Why they are quoted.", "who carried out the research"),
    },
    "Image": {
        "src": ("An https:// URL, or a file name under newsletters/images/.", "lab.jpg"),
        "alt": (
            "What the image shows, for screen readers and blocked images.",
            "Dr Eyre at the microscope",
        ),
        "decorative": ("true for an image that carries no meaning (no alt text needed).", False),
        "width": ("Display width in pixels, 50 to 600.", 600),
    },
    "Link": {
        "url": ("An https:// address.", "https://www.example.org/research"),
        "label": ("The link text: say where it goes.", "Read about the project"),
    },
    "CallToAction": {
        "heading": ("The appeal's heading. Plain text.", "Fund the next discovery"),
        "text": ("The appeal. Markdown.", "Every gift helps our scientists."),
        "button_label": ("Words on the button.", "Donate today"),
        "url": ("Where the button goes (https://).", "https://www.example.org/donate"),
    },
}
