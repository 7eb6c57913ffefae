"""Stable codes of the problems ``newsletter check`` reports, with the long form of each.

A problem carries its code (``Problem.code``), printed after the message as ``[yaml-tab]``;
``newsletter check --explain yaml-tab`` prints the explanation below. Every code is listed in
the "Common mistakes" section of ``docs/writing-an-issue.md`` (a test checks both).
"""

from __future__ import annotations

YAML_UNQUOTED_COLON = "yaml-unquoted-colon"
YAML_CURLY_QUOTES = "yaml-curly-quotes"
YAML_TAB = "yaml-tab"
YAML_INDENT_TOO_FAR = "yaml-indent-too-far"
YAML_INDENT_MISMATCH = "yaml-indent-mismatch"
YAML_UNCLOSED_QUOTE = "yaml-unclosed-quote"
YAML_SYNTAX = "yaml-syntax"
YAML_NO_COLON = "yaml-no-colon"
INDENT_TOO_LITTLE = "indent-too-little"
INVISIBLE_CHARACTER = "invisible-character"
UNKNOWN_FIELD = "unknown-field"
MISSING_FIELD = "missing-field"
NEEDS_FIELDS = "needs-fields"
NEEDS_LIST = "needs-list"
TOO_LONG = "too-long"
ID_FROM_FILE_NAME = "id-from-file-name"
DUPLICATE_ID = "duplicate-id"
NAIVE_TIME = "naive-time"
TIME_IN_GAP = "time-in-clock-change"
READY_WITHOUT_SEND_AT = "ready-without-send-at"
PRINTED_AS_TYPED = "printed-as-typed"
EMBARGO_AFTER_SEND = "embargo-after-send"
EMBARGO_CLOSE = "embargo-close"
EMBARGO_IN_FORCE = "embargo-in-force"
NOT_HTTPS = "not-https"
SEND_AT_UTC = "send-at-utc"
UNKNOWN_LIST = "unknown-list"
MISSING_ALT = "missing-alt"
UNKNOWN_INTEREST = "unknown-interest"
IMAGE_MISSING = "image-missing"
IMAGE_UNUSABLE = "image-unusable"
IMAGE_TOO_BIG = "image-too-big"
IMAGE_BLURRY = "image-blurry"

EXPLANATIONS: dict[str, str] = {
    YAML_UNQUOTED_COLON: """\
A colon followed by a space (": ") inside a value makes YAML read what comes before it as the
name of a new field, so the line no longer makes sense to it.

    title: Old drugs, new job: keeping cancer in check        <- wrong
    title: "Old drugs, new job: keeping cancer in check"      <- right

Fix: put the whole text in straight double quotes. If the text itself contains a double quote,
use single quotes around it instead.""",
    YAML_CURLY_QUOTES: """\
Word processors turn straight quotes into typographic ("curly") quotes: “ ” and ‘ ’. YAML only
treats the straight ones, " and ', as quotes; a curly quote is just another letter, so it does
not protect a colon inside the text, and it cannot close a quoted text.

    title: “Old drugs: new job”        <- wrong
    title: "Old drugs: new job"        <- right

Fix: type straight quotes around the value. Curly quotes inside the text are fine.""",
    YAML_TAB: """\
YAML only allows spaces for indentation; a tab is an error even where it looks right in an
editor.

Fix: delete the tab at the start of the line and indent with spaces (two per level, like the
lines around it). Most editors can "convert indentation to spaces".""",
    YAML_INDENT_TOO_FAR: """\
A field is indented further than the field on the line above it, so YAML reads it as more
words of that field's value and then stumbles on its colon.

    researcher:
      name: Dr Rachael Eyre
        role: Lecturer          <- two spaces too far

Fix: line the field up with the one above it (same number of spaces), so that it belongs to
the same parent (here, researcher).""",
    YAML_INDENT_MISMATCH: """\
A line is indented by a number of spaces that lines up with no field above it, so YAML cannot
tell which field it belongs to.

Fix: indent it exactly like the fields it belongs beside (two spaces per level).""",
    YAML_UNCLOSED_QUOTE: """\
A value starts with a quote that is never closed, so YAML reads the rest of the file as part
of it.

Fix: add the closing quote (the same kind as the opening one) at the end of the value.""",
    YAML_NO_COLON: """\
A line holds text where YAML expects a field: a name, a colon and a space, then the value.
This happens when a long value is continued on the next line without indenting it, or when
the space after the colon is missing.

    title: Old drugs,
    new job                     <- wrong: not indented
    title: Old drugs,
      new job                   <- right (or write it on one line)

Fix: write "name: value" with a space after the colon; indent a continued value further than
its field's name (or put the whole value in quotes).""",
    YAML_SYNTAX: """\
The file is not valid YAML. The message names what the parser found and where.

Fix: look at the line shown (and the one above it): a missing colon, a stray character or an
unclosed bracket are the usual causes. Compare with a sample issue in newsletters/.""",
    INDENT_TOO_LITTLE: """\
A field is indented too little, so it lands one level up, where that field does not exist.

    image:
    src: lab.jpg               <- should be indented under image:

Fix: indent the field two more spaces than the field it belongs to (the message names it).""",
    INVISIBLE_CHARACTER: """\
A field name contains a character you cannot see, usually a non-breaking space (U+00A0) or a
zero-width space (U+200B) pasted from a web page or a word processor. The name then matches
no field.

Fix: delete the field name and the spaces around it, and type them again.""",
    UNKNOWN_FIELD: """\
The field is not part of an issue (often a typo). The message suggests the closest field name.

Fix: correct the spelling, or remove the field. `newsletter schema` lists every field.""",
    MISSING_FIELD: """\
A field that every issue (or every part named in the message) needs is missing.

Fix: add it. For audience, write the list on its own line under audience:

    audience:
      list: research-news""",
    NEEDS_FIELDS: """\
This field holds other fields, not a value of its own (for example audience holds list and
interests).

Fix: write the field name with a colon, and its fields on the lines below it, indented by two
more spaces.""",
    NEEDS_LIST: """\
This field holds a list (stories, tags, interests), but its items are written as fields.
Each item of a list starts with a dash and a space.

    stories:
      kind: research            <- wrong
    stories:
      - kind: research          <- right
        title: Old drugs, new job

Fix: put "- " before the first field of each item, and indent the item's other fields to line
up with that first field.""",
    TOO_LONG: """\
The value is longer than the field allows; the message gives its length and the limit
(subject: 150 characters, preheader: 200).

Fix: shorten it. Phones show only about 78 characters of a subject.""",
    ID_FROM_FILE_NAME: """\
Without an id: line, an issue's id is its file name without .yaml. An id may only hold
lower-case letters, digits and hyphens, so a file named "January Issue.yaml" cannot be one.

Fix: rename the file (e.g. january-issue.yaml) or add a line such as

    id: 2027-01-research-news

Never change the id of an issue that was sent: the id names its campaign.""",
    DUPLICATE_ID: """\
Two issue files have the same id (written as id:, or taken from the file name). An id names
exactly one campaign, so `newsletter send --due` refuses to send either of them.

Fix: give one of them another id (or delete the copy).""",
    NAIVE_TIME: """\
A send_at or embargo_until without a time zone is ambiguous: 09:00 in London is 09:00 UTC in
winter but 08:00 UTC in summer.

Fix: add the offset (2026-12-01T09:00:00+00:00, or Z for UTC), or set `timezone:
Europe/London` in newsletter.yaml so that times without an offset are read as London time,
summer time included.""",
    TIME_IN_GAP: """\
With `timezone:` set, a time written without an offset is read in that zone. Twice a year the
clocks change: in spring one hour never happens (in London 01:00-02:00 on the last Sunday of
March), in autumn one hour happens twice (01:00-02:00 on the last Sunday of October). A time
in either hour is refused rather than guessed.

Fix: pick another time, or write the offset (+00:00 for GMT, +01:00 for BST).""",
    READY_WITHOUT_SEND_AT: """\
An issue with `status: ready` is sent by the scheduled run (`newsletter send --due`) once its
send_at has passed. Without send_at, no scheduled run will ever send it.

Fix: add send_at, or send it by hand with `newsletter send ISSUE`.""",
    PRINTED_AS_TYPED: """\
Plain-text fields (subject, preheader, titles, names, quotes, labels, alt text) are printed
exactly as typed: HTML tags such as <b> show as text, and substitution tags such as
%%first_name%% are not replaced.

Fix: remove the tag. Use Markdown (**bold**, [text](https://…)) in the Markdown fields
(intro, summary, call_to_action.text) instead.""",
    EMBARGO_AFTER_SEND: """\
A story's embargo_until is later than the issue's send_at: the issue would break the embargo.

Fix: move send_at after the embargo, or remove the story until it may be published.""",
    EMBARGO_CLOSE: """\
A story's embargo lifts less than an hour before send_at. A small change to send_at (or a
delayed embargo) would break it.

Fix: leave at least an hour between embargo_until and send_at, or check the times carefully.""",
    EMBARGO_IN_FORCE: """\
A story is under embargo and the issue has no send_at: it cannot be sent before the embargo
lifts (a send before then is refused).

Fix: set send_at after the embargo.""",
    NOT_HTTPS: """\
A link or image address starts with http://. Mail apps warn about insecure links and block
insecure images.

Fix: use the https:// address.""",
    MISSING_ALT: """\
Every image needs alt text: the words a screen reader says instead of the picture, and what a
mail app shows while images are blocked.

Fix: add alt: with what the image shows ("Dr Eyre in the lab at the University of
Sheffield"), or decorative: true for an image that carries no meaning.""",
    IMAGE_MISSING: """\
image.src names a file that is not in newsletters/images/. File names must match exactly,
capitals included: Bone-Scan.PNG is not bone-scan.png. The message suggests the closest name
there is.

Fix: copy the picture into newsletters/images/, or correct src: to the name it has there.""",
    IMAGE_UNUSABLE: """\
The image file cannot go into an email: it is not a picture, it is damaged, it is in a format
some mail apps do not show (WEBP, AVIF, SVG), or it has more than 40 megapixels (the file is
judged from its header; nothing that large is opened).

Fix: save the picture as JPEG (photos) or PNG (drawings, logos), at most 40 megapixels; 2,400
pixels wide is plenty.""",
    IMAGE_TOO_BIG: """\
Every image is resized to twice the width it is shown at and compressed, and this one is still
over 1 MB: mail apps load it slowly, and some clip the email.

Fix: save a photo as JPEG rather than PNG, or crop it to what matters.""",
    IMAGE_BLURRY: """\
The picture is narrower than the width it is shown at in the email, so mail apps stretch it and
it looks blurry (a warning: it still sends).

Fix: use a picture at least as wide as the message says (ideally twice that, for sharp
phones), or set image.width: to the picture's own width so it is shown smaller.""",
    UNKNOWN_LIST: """\
audience.list names a mailing list that newsletter.yaml does not define.

Fix: use one of the list ids the message names (they are under lists: in newsletter.yaml).""",
    UNKNOWN_INTEREST: """\
A tag (a story's tags, or audience.interests) is not one of the interests defined in
newsletter.yaml, so no supporter could have chosen it.

Fix: use one of the interest ids the message names, or add the interest to newsletter.yaml.""",
    SEND_AT_UTC: """\
A note, not a problem: with `timezone:` set in newsletter.yaml, a time written without an
offset is read in that zone. `check` shows the moment in UTC so you can confirm it.""",
}


def explain(code: str) -> str | None:
    """The long form of ``code``, or ``None`` when no problem has that code."""
    return EXPLANATIONS.get(code)
