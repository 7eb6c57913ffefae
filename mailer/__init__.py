"""Research-news newsletter publisher: YAML issues → responsive email → SendGrid.

The flow runs one way (see ``docs/internals.md``)::

    load_issue(path) -> Issue -> render_issue(issue) -> Email -> send_campaign(...) -> Report
"""

from __future__ import annotations

__version__ = "0.1.0"
