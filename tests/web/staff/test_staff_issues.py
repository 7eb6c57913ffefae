"""The issues pages of the staff console: the files, one issue with its preview and problems."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.plugins.staff import Console


def test_the_issues_page_lists_each_file_with_status_and_problems(console: Console) -> None:
    (console.project.root / "newsletters" / "zz-broken.yaml").write_text("id: zz-broken\n")
    http = console.client("ed@example.org", "editor")
    page = HTMLParser(http.get("/staff/issues").text)
    rows = {
        row.css("code")[0].text(): [cell.text(strip=True) for cell in row.css("td")]
        for row in page.css("table.data tbody tr")
    }
    assert "zz-broken.yaml" in rows
    assert rows["zz-broken.yaml"][1] == "invalid"
    assert int(rows["zz-broken.yaml"][4]) >= 1
    assert all(cells[7] == "not sent" for cells in rows.values())


def test_one_issue_shows_its_inbox_line_frames_text_and_problems(console: Console) -> None:
    http = console.client("ed@example.org", "editor")
    name = sorted(p.name for p in (console.project.root / "newsletters").glob("*.yaml"))[0]
    answer = http.get(f"/staff/issues/{name}")
    assert answer.status_code == 200
    page = HTMLParser(answer.text)
    assert page.css_first("#inbox .inbox-subject") is not None
    frames = [str(node.attributes["src"]) for node in page.css("iframe")]
    assert frames == [f"/staff/preview/frame/{name}"] * 2 + [
        f"/staff/preview/frame/{name}?scheme=dark"
    ]
    assert page.css_first("pre.text-part") is not None
    frame = http.get(frames[0])
    assert frame.status_code == 200
    assert frame.headers["x-frame-options"] == "SAMEORIGIN"
    assert "sandbox" in frame.headers["content-security-policy"]


def test_the_inbox_line_is_cut_as_the_supporter_preview_cuts_it(console: Console) -> None:
    from mailer.render.email import personalise
    from mailer.web.inbox import inbox_line
    from mailer.web.preview import SAMPLE_VALUES, Preview

    name = sorted(p.name for p in (console.project.root / "newsletters").glob("*.yaml"))[0]
    email = Preview(console.project.root).report(console.project.root / "newsletters" / name).email
    assert email is not None
    expected = inbox_line(email, personalise(email.text, SAMPLE_VALUES))
    http = console.client("ed@example.org", "editor")
    page = HTMLParser(http.get(f"/staff/issues/{name}").text)
    shown = {
        part: node.text(strip=True)
        for part in ("sender", "subject", "preheader")
        if (node := page.css_first(f"#inbox .inbox-{part}")) is not None
    }
    assert shown == {
        "sender": expected.sender,
        "subject": expected.subject,
        "preheader": expected.preheader,
    }


def test_the_dark_frame_shows_the_emails_dark_mode_rules(console: Console) -> None:
    http = console.client("ed@example.org", "editor")
    name = sorted(p.name for p in (console.project.root / "newsletters").glob("*.yaml"))[0]
    page = HTMLParser(http.get(f"/staff/issues/{name}").text)
    dark = page.css_first("iframe.frame-dark")
    assert dark is not None
    frame = http.get(str(dark.attributes["src"])).text
    assert "@media (prefers-color-scheme: dark)" not in frame
    assert "@media all" in frame


def test_the_frames_need_a_sign_in_too(console: Console) -> None:
    name = sorted(p.name for p in (console.project.root / "newsletters").glob("*.yaml"))[0]
    answer = console.new_client().get(f"/staff/preview/frame/{name}")
    assert answer.status_code == 303


def test_an_issue_that_is_not_a_file_is_not_found(console: Console) -> None:
    http = console.client("ed@example.org", "editor")
    assert http.get("/staff/issues/..%2Fnewsletter.yaml").status_code == 404
    assert http.get("/staff/issues/nope.yaml").status_code == 404
