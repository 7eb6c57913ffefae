"""The issue file's JSON Schema, for editors (``# yaml-language-server: $schema=…``).

Every property carries a description and an example (:mod:`mailer.content.fielddocs`), so an
editor's hover explains each field.
"""

from __future__ import annotations

import json
from typing import Any

from mailer.content.fielddocs import FIELD_DOCS
from mailer.content.issue import Issue

SCHEMA_ID = "https://news.example.org/schema/issue.schema.json"


def _document(name: str, model: dict[str, Any]) -> None:
    """Give each property of ``model`` its description and example from ``FIELD_DOCS``."""
    docs = FIELD_DOCS.get(name, {})
    for field, prop in model.get("properties", {}).items():
        if field in docs:
            prop["description"], example = docs[field]
            prop["examples"] = [example]


def issue_schema() -> dict[str, object]:
    schema = Issue.model_json_schema(mode="validation")
    properties = schema.get("properties")
    if isinstance(properties, dict):
        properties.pop("source", None)
    _document("Issue", schema)
    for name, model in schema.get("$defs", {}).items():
        _document(name, model)
    required = schema.get("required")
    if isinstance(required, list) and "id" in required:
        required.remove("id")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Newsletter issue"
    return schema


def issue_schema_json() -> str:
    return json.dumps(issue_schema(), indent=2, ensure_ascii=False) + "\n"
