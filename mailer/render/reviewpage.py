"""The page ``newsletter diff`` writes: ``index.html``, self-contained, for a reviewer.

One HTML file with its styles inline and the screenshots as PNG files beside it, linked by
relative paths: it opens from a CI artifact, a zip or a local folder, and loads nothing from
the network. Everything taken from an issue is HTML-escaped.
"""

from __future__ import annotations

import json
from html import escape

from mailer.render.review import DiffReport, IssueDiff
from mailer.render.screenshots import VIEWS

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1320px; padding: 16px;
       color: #1f1f1f; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 19px; margin-top: 40px; border-top: 2px solid #6b1f73;
     padding-top: 12px; }
.status { font-size: 13px; padding: 2px 8px; border-radius: 10px; background: #eee; }
.status-changed { background: #fff1c2; } .status-new { background: #d8f5d8; }
.status-deleted { background: #fbd5d5; }
.note { padding: 8px 12px; background: #fff1c2; border-left: 4px solid #c29a00; }
.problem { color: #a40000; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #ddd; padding: 4px 8px; }
td pre, .diff { white-space: pre-wrap; word-break: break-word; margin: 0; }
.diff { background: #f7f7f7; padding: 8px; font-size: 13px; }
.add { background: #e3f7e3; display: block; } .del { background: #fbe3e3; display: block; }
.shots { display: flex; gap: 16px; align-items: flex-start; }
.shots figure { margin: 0; flex: 1; } .shots img { max-width: 100%; border: 1px solid #ccc; }
"""


def _value(value: object) -> str:
    if value is None:
        return "<em>none</em>"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)
    return f"<pre>{escape(text)}</pre>"


def _changes(issue: IssueDiff) -> str:
    if not issue.changes:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(change))}</td><td>{_value(change.before)}</td>"
        f"<td>{_value(change.after)}</td></tr>"
        for change in issue.changes
    )
    return (
        "<h3>What changed</h3><table><tr><th>change</th><th>before</th><th>after</th></tr>"
        f"{rows}</table>"
    )


def _diff(issue: IssueDiff) -> str:
    if not issue.text_diff:
        return "<h3>Plain-text part</h3><p>The same as before.</p>"
    lines = []
    for line in issue.text_diff.splitlines():
        css = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        body = escape(line) or " "
        lines.append(f'<span class="{css}">{body}</span>' if css else body + "\n")
    return f'<h3>Plain-text part</h3><pre class="diff">{"".join(lines)}</pre>'


def _shots(issue: IssueDiff) -> str:
    if not issue.shots:
        return ""
    files: dict[tuple[str, str], str] = {(s.side, s.view): s.file for s in issue.shots}
    out = ["<h3>How it looks</h3>"]
    for view in VIEWS:
        figures = []
        for side, title in (("before", "before"), ("after", "after (working tree)")):
            file = files.get((side, view.name))
            alt = f"{title}, {view.label}"
            body = (
                f'<a href="{escape(file)}"><img src="{escape(file)}" alt="{alt}"></a>'
                if file
                else f"<p><em>no {side} version</em></p>"
            )
            figures.append(f"<figure><figcaption>{title}</figcaption>{body}</figure>")
        out.append(f'<h4>{escape(view.label)}</h4><div class="shots">{"".join(figures)}</div>')
    return "".join(out)


def _problems(issue: IssueDiff) -> str:
    items = [
        f'<li class="problem">{side}: {escape(problem)}</li>'
        for side, problems in (("before", issue.problems_before), ("now", issue.problems_after))
        for problem in problems
    ]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _issue(issue: IssueDiff) -> str:
    return (
        f'<section id="{escape(issue.issue_id)}"><h2>{escape(issue.issue_id)} '
        f'<span class="status status-{issue.status}">{issue.status}</span></h2>'
        f"<p>{escape(issue.path)} · subject: <strong>{escape(issue.subject)}</strong></p>"
        f"{_problems(issue)}{_changes(issue)}{_diff(issue)}{_shots(issue)}</section>"
    )


def render_page(report: DiffReport) -> str:
    """The whole report page as one HTML string."""
    rev = report.revision
    changed = report.changed
    same = [issue for issue in report.issues if issue.status == "unchanged"]
    note = report.browser_note
    contents = "".join(
        f'<li><a href="#{escape(i.issue_id)}">{escape(i.issue_id)}</a> ({i.status}): '
        f"{escape(i.summary())}</li>"
        for i in changed
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>newsletter diff since {escape(rev.short)}</title><style>{STYLE}</style></head>",
        "<body><h1>What supporters will get: changes since "
        f"<code>{escape(rev.name)}</code> ({escape(rev.short)})</h1>",
        f'<p class="note">{escape(note)}: text parts only.</p>' if note else "",
        f"<ul>{contents}</ul>" if changed else "<p>No issue renders differently.</p>",
        *(_issue(issue) for issue in changed),
    ]
    if same:
        names = ", ".join(escape(issue.issue_id) for issue in same)
        parts.append(f"<h2>Unchanged</h2><p>{names}</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
