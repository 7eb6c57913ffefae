"""Safe YAML loading that remembers where every value came from.

``load_yaml(text, path)`` returns the plain data plus a map from each value's location
(a tuple of keys and indexes, as pydantic reports them) to its line and column, so every
validation error can name ``file:line:column``. Duplicate keys are problems, not silently
overwritten. Only ``yaml.SafeLoader`` machinery is used; timestamps stay strings so the schema
decides what a valid date is (and a naive time can be refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from mailer.content.codes import YAML_SYNTAX
from mailer.errors import Problem

Loc = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp resolver."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """The same loader on libyaml's parser: it builds the same nodes, several times faster."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _COMPOSERS: tuple[type[yaml.SafeLoader | yaml.CSafeLoader], ...] = (_FastLoader, _Loader)
else:  # pragma: no cover - PyYAML built without libyaml
    _COMPOSERS = (_Loader,)


def _compose(text: str, *, libyaml: bool) -> yaml.Node | None:
    """The document's node tree; libyaml's when it parses, else pure Python's.

    A syntax error is always reported by the pure-Python parser, whose messages and marks are
    the ones people see (libyaml words some errors differently).
    """
    for composer in _COMPOSERS if libyaml else (_Loader,):
        loader = composer(text)
        try:
            node: yaml.Node | None = loader.get_single_node()
        except yaml.YAMLError:
            if composer is _Loader:
                raise
            continue
        finally:
            loader.dispose()
        return node
    return None  # pragma: no cover - the pure-Python composer is always last


@dataclass
class Located:
    """Data loaded from YAML, with positions (1-based line and column) for each location."""

    data: Any
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    text: str = ""  # the YAML it was read from (problems quote its lines)

    def written(self, loc: Loc) -> bool:
        """Whether ``loc`` or an ancestor below the top level is written in the file."""
        return any(loc[:end] in self.positions for end in range(len(loc), 0, -1))

    def position(self, loc: Loc) -> tuple[int, int]:
        """The position of ``loc``, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            found = self.positions.get(loc[:end])
            if found is not None:
                return found
        return (1, 1)


def load_yaml(text: str, path: str, *, libyaml: bool = True) -> Located:
    """Parse ``text`` safely; syntax errors become problems (data is then ``None``).

    ``libyaml=False`` parses with PyYAML's pure-Python parser only (the result is the same).
    """
    try:
        node = _compose(text, libyaml=libyaml)
    except yaml.MarkedYAMLError as exc:
        problem = _syntax_problem(text, path, exc)
        return Located(None, problems=[with_source(problem, text)], text=text)
    except yaml.YAMLError as exc:
        return Located(None, problems=[Problem(path, 1, 1, "", f"YAML error: {exc}")])
    located = Located(None, text=text)
    if node is None:
        return located
    constructor = _Loader("")
    try:
        located.data = _build(node, (), path, located, constructor)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = Problem(path, line, col, "", f"YAML error: {exc.problem}", code=YAML_SYNTAX)
        located.problems.append(with_source(problem, text))
        located.data = None
    return located


def _syntax_problem(text: str, path: str, exc: yaml.MarkedYAMLError) -> Problem:
    """The plain-English problem for a syntax error, else PyYAML's own words at its mark."""
    from mailer.content.diagnose import diagnose  # the error path only: a valid file never pays

    found = diagnose(text, exc)
    if found is not None:
        return Problem(path, found.line, found.column, "", found.message, code=found.code)
    mark = exc.context_mark or exc.problem_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"YAML syntax error: {exc.problem}"
    if exc.context:
        message += f" {exc.context}"
        if exc.problem_mark and exc.context_mark:
            message += f" (the problem shows at line {exc.problem_mark.line + 1})"
    return Problem(path, line, col, "", message, code=YAML_SYNTAX)


def with_source(problem: Problem, text: str) -> Problem:
    """``problem`` with the line of ``text`` it points into (for the caret under the spot)."""
    if problem.source_line or problem.line < 1:
        return problem
    lines = text.splitlines()
    if problem.line > len(lines) or not lines[problem.line - 1].strip():
        return problem
    return replace(problem, source_line=lines[problem.line - 1].rstrip())


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _build(node: yaml.Node, loc: Loc, path: str, out: Located, ctor: _Loader) -> Any:
    out.positions[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        raise yaml.constructor.ConstructorError(
            None, None, f"the tag {node.tag!r} is not allowed; write plain YAML", node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        ctor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = str(key)
            if key in result:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                field_name = format_loc((*loc, key))
                first = out.positions.get((*loc, key), (0, 0))[0]
                out.problems.append(
                    Problem(
                        path, line, col, field_name, f"duplicate key (first set on line {first})"
                    )
                )
                continue
            child = (*loc, key)
            result[key] = _build(value_node, child, path, out, ctor)
            # a key's own position is where the key is written (more useful than the value's)
            out.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), path, out, ctor) for i, item in enumerate(node.value)]
    return ctor.construct_object(node, deep=True)


def format_loc(loc: Loc) -> str:
    """``("stories", 0, "title")`` → ``stories[0].title``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
