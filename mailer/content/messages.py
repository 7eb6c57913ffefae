"""Schema errors in plain English: pydantic's error details → located, coded ``Problem``s.

``schema_problems`` words each error for a person writing an issue: an unknown field gets a
"did you mean", a field indented one level too little names the field it belongs under, an
invisible character in a field name is named (U+00A0 NO-BREAK SPACE), a value too long gives
its length and the limit, an id taken from a file name says how to set ``id:``. The model is
passed in, so this module never imports the model's module.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from mailer.content import codes
from mailer.content.source import Loc, Located, format_loc, with_source
from mailer.errors import Problem

_FRIENDLY: dict[str, str] = {
    "missing": "required field is missing",
    "string_type": "expected text",
    "timezone_aware": (
        "needs a time zone: add an offset, e.g. 2026-12-01T09:00:00+00:00 (or Z for UTC), "
        "or set timezone: Europe/London in newsletter.yaml"
    ),
    "datetime_type": "expected a date and time like 2026-12-01T09:00:00+00:00",
    "datetime_from_date_parsing": "expected a date and time like 2026-12-01T09:00:00+00:00",
    "datetime_parsing": "expected a date and time like 2026-12-01T09:00:00+00:00",
    "tuple_type": "expected a list",
    "model_type": "expected a mapping of fields",
    "bool_type": "expected true or false",
}
_CODES: dict[str, str] = {
    "missing": codes.MISSING_FIELD,
    "timezone_aware": codes.NAIVE_TIME,
    "string_too_long": codes.TOO_LONG,
    "extra_forbidden": codes.UNKNOWN_FIELD,
}
_SLUG = re.compile(r"[^a-z0-9]+")


def invisible(name: str) -> list[tuple[int, str]]:
    """The characters of ``name`` a person cannot see: (index, "U+00A0 NO-BREAK SPACE")."""
    found = []
    for n, char in enumerate(name):
        if unicodedata.category(char) in ("Zs", "Cf", "Cc") and char != " ":
            label = unicodedata.name(char, "UNNAMED CHARACTER")
            found.append((n, f"U+{ord(char):04X} {label}"))
    return found


def _visible(name: str) -> str:
    return "".join(f"<U+{ord(c):04X}>" if invisible(c) else c for c in name)


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that holds the fields at ``loc`` (``()`` is ``root``), if any."""
    model: type[BaseModel] = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        found = _inner_model(field.annotation) if field is not None else None
        if found is None:
            return None
        model = found
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in getattr(annotation, "__args__", (annotation,)):
        for inner in (candidate, *getattr(candidate, "__args__", ())):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


class _Wording:
    """Words one file's schema errors; knows its data, positions and model."""

    def __init__(self, root: type[BaseModel], located: Located, path: str) -> None:
        self.root = root
        self.located = located
        self.path = path

    def problem(self, err: ErrorDetails, loc: Loc) -> Problem:
        line, col = self.located.position(loc)
        kind = err["type"]
        message, code = self.words(err, loc)
        field = format_loc(loc)
        if kind == "extra_forbidden" and invisible(str(loc[-1])):
            col += invisible(str(loc[-1]))[0][0]
            field = format_loc((*loc[:-1], _visible(str(loc[-1]))))
        problem = Problem(self.path, line, col, field, message, code=code)
        if self.located.written(loc) and self.located.text:
            problem = with_source(problem, self.located.text)
        return problem

    def words(self, err: ErrorDetails, loc: Loc) -> tuple[str, str]:
        kind = err["type"]
        code = _CODES.get(kind, "")
        if kind == "extra_forbidden":
            return self._unknown(loc)
        if kind == "string_too_long":
            limit = err.get("ctx", {}).get("max_length")
            return f"{loc[-1]} is {len(err['input'])} characters; at most {limit}", code
        if kind == "model_type" and (err["input"] is None or isinstance(err["input"], str)):
            return self._needs_fields(loc, err["input"])
        if kind == "tuple_type" and isinstance(err["input"], dict):
            return (
                f"{loc[-1]} is a list: start each item with a dash and a space, "
                "e.g. - kind: research",
                codes.NEEDS_LIST,
            )
        if kind == "string_pattern_mismatch" and loc == ("id",):
            return self._bad_id()
        if kind == "string_pattern_mismatch" and loc[-1] == "doi":
            return "expected a DOI like 10.1038/s41586-020-2649-2 (without https://doi.org/)", code
        if kind in _FRIENDLY:
            return _FRIENDLY[kind], code
        message = err["msg"].removeprefix("Value error, ").replace("Input should be", "expected")
        if message.startswith("alt text is required"):
            code = codes.MISSING_ALT
        return message, code

    def _unknown(self, loc: Loc) -> tuple[str, str]:
        name = str(loc[-1])
        hidden = invisible(name)
        if hidden:
            return (
                f"the field name {_visible(name)!r} contains an invisible character, "
                f"{hidden[0][1]}; delete the name and type it again",
                codes.INVISIBLE_CHARACTER,
            )
        here = model_at(self.root, loc[:-1])
        fields = list(here.model_fields) if here is not None else []
        owners = [
            owner
            for owner in fields
            if name in getattr(model_at(self.root, (*loc[:-1], owner)), "model_fields", {})
        ]
        if owners and name not in fields:
            written = _value_at(self.located.data, loc[:-1])
            present = [o for o in owners if isinstance(written, dict) and o in written]
            empty = [o for o in present if isinstance(written, dict) and written[o] is None]
            under = " or ".join(f"{owner}:" for owner in empty or present or owners)
            return (
                f"{name} is not a field here; it belongs under {under} indent it two spaces "
                f"more than {under.split(' or ')[0]}",
                codes.INDENT_TOO_LITTLE,
            )
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown field{hint}", codes.UNKNOWN_FIELD

    def _needs_fields(self, loc: Loc, value: object) -> tuple[str, str]:
        inner = model_at(self.root, loc)
        required = [n for n, f in (inner.model_fields if inner else {}).items() if f.is_required()]
        name = str(loc[-1])
        if value is None and required:
            missing = ", ".join(f"{format_loc(loc)}.{field}" for field in required)
            verb = "is" if len(required) == 1 else "are"
            return (
                f"{missing} {verb} missing: write {required[0]}: on the line under {name}:, "
                "indented two spaces more",
                codes.MISSING_FIELD,
            )
        first = required[0] if required else "its fields"
        return (
            f"{name} holds fields, not a value: write {name}: alone, and on the line under it, "
            f"indented two spaces more, {first}: {value}",
            codes.NEEDS_FIELDS,
        )

    def _bad_id(self) -> tuple[str, str]:
        rule = "lower-case letters, digits and hyphens"
        data = self.located.data
        if isinstance(data, dict) and "id" in data:
            return f"expected {rule} (e.g. 2026-12-research-digest)", ""
        file_name = Path(self.path).name
        slug = _SLUG.sub("-", Path(self.path).stem.lower()).strip("-") or "my-issue"
        return (
            f"the id comes from the file name {file_name!r}, which is not a valid id ({rule}); "
            f"rename the file to {slug}.yaml, or add a line id: {slug}",
            codes.ID_FROM_FILE_NAME,
        )


def _value_at(data: object, loc: Loc) -> object:
    """The value written at ``loc`` in the file's data (``None`` when there is none)."""
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not (in_list or (isinstance(data, dict) and part in data)):
            return None
        data = data[part]  # type: ignore[index]
    return data


_PSEUDO_STEP = re.compile(r"^[a-z-]+\[.+\]$")


def _clean_loc(loc: tuple[int | str, ...]) -> Loc:
    # pydantic adds pseudo-steps for unions/functions ("function-after[...]"); drop them
    return tuple(p for p in loc if isinstance(p, int) or not _PSEUDO_STEP.match(p))


def schema_problems(
    errors: list[ErrorDetails], root: type[BaseModel], located: Located, path: str
) -> list[Problem]:
    """Every schema error of one file as a located ``Problem`` in plain English."""
    wording = _Wording(root, located, path)
    locs = [_clean_loc(tuple(err["loc"])) for err in errors]
    retyped = {  # a name with an invisible character also makes the real field "missing"
        (*loc[:-1], "".join(c for c in str(loc[-1]) if not invisible(c)).strip())
        for err, loc in zip(errors, locs, strict=True)
        if err["type"] == "extra_forbidden" and loc and invisible(str(loc[-1]))
    }
    problems = []
    for err, loc in zip(errors, locs, strict=True):
        if err["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        ):
            continue  # "at least 1 item" only because an item itself was invalid
        if err["type"] == "missing" and loc in retyped:
            continue
        problems.append(wording.problem(err, loc))
    return problems
