"""The issue file's JSON Schema, for editors (``# yaml-language-server: $schema=…``)."""

from __future__ import annotations

import json

from mailer.content.issue import Issue

SCHEMA_ID = "https://news.example.org/schema/issue.schema.json"


def issue_schema() -> dict[str, object]:
    schema = Issue.model_json_schema(mode="validation")
    properties = schema.get("properties")
    if isinstance(properties, dict):
        properties.pop("source", None)
        properties["id"]["description"] += " Defaults to the file name without .yaml."
    required = schema.get("required")
    if isinstance(required, list) and "id" in required:
        required.remove("id")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Newsletter issue"
    return schema


def issue_schema_json() -> str:
    return json.dumps(issue_schema(), indent=2, ensure_ascii=False) + "\n"
