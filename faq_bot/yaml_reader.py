"""Read YAML strictly, keeping the line of every value for error messages.

PyYAML alone accepts duplicate keys silently, turns ``no`` into False and
``2026-11-25`` into a date, and expands aliases without limit. Editors' files are read
here instead: every scalar stays the text the editor typed (with its line and whether it
was quoted), duplicate keys, anchors and aliases are problems, and file size and nesting
depth are bounded.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from faq_bot.errors import ContentProblem

MAX_FILE_BYTES = 1_000_000
# libyaml's parser when PyYAML was built with it: same nodes and marks, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 12

# Plain scalars that YAML 1.1 tools (and PyYAML's safe_load) would not read as text.
_COERCED_PATTERNS = {
    "a true/false value": re.compile(r"(?i)(y|yes|n|no|true|false|on|off)"),
    "an empty value": re.compile(r"(?i)(~|null)"),
    "a number": re.compile(r"[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+|0x[0-9a-fA-F]+|\.inf|\.nan)"),
    "a date": re.compile(r"\d{4}-\d{1,2}-\d{1,2}([Tt ].*)?"),
}


class YamlText(str):
    """A scalar as typed, with its line and whether it was quoted."""

    line: int
    plain: bool

    def __new__(cls, value: str, line: int, plain: bool) -> YamlText:
        text = super().__new__(cls, value)
        text.line = line
        text.plain = plain
        return text

    def coerced_as(self) -> str | None:
        """What another YAML reader would take this unquoted value for, if not text."""
        if not self.plain:
            return None
        for kind, pattern in _COERCED_PATTERNS.items():
            if pattern.fullmatch(self):
                return kind
        return None


class YamlMap(dict[str, Any]):
    """A mapping with its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]


class YamlList(list[Any]):
    """A sequence with its own line."""

    line: int


def line_of(value: object, default: int = 1) -> int:
    """The 1-based line where a value read by ``read_yaml`` starts."""
    return int(getattr(value, "line", default))


def read_yaml(path: str, shown_name: str, problems: list[ContentProblem]) -> Any:
    """Parse one file; on failure append problems and return None."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        problems.append(ContentProblem(shown_name, 1, f"cannot read file: {error.strerror}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(
            ContentProblem(shown_name, 1, f"file is larger than {MAX_FILE_BYTES:,} bytes", "split it into topic files")
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.append(ContentProblem(shown_name, line, "file is not UTF-8 text", "save it as UTF-8"))
        return None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        message = f"not valid YAML: {error.problem or error}"
        problems.append(ContentProblem(shown_name, line, message, _yaml_hint(error)))
        return None
    except yaml.YAMLError as error:
        problems.append(ContentProblem(shown_name, 1, f"not valid YAML: {error}"))
        return None
    except RecursionError:
        problems.append(ContentProblem(shown_name, 1, "nested too deeply to read", f"keep nesting under {MAX_DEPTH}"))
        return None
    if node is None:
        return None
    converter = _Converter(shown_name, problems)
    return converter.convert(node, 0)


def _yaml_hint(error: yaml.MarkedYAMLError) -> str:
    problem = str(error.problem or "")
    if "mapping values are not allowed" in problem:
        return "a text containing ': ' must be in quotes, or use '>-' and put the text on the next lines"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "check the indentation of this line and the one before"
    return "check quotes and indentation around this line"


class _Converter:
    def __init__(self, shown_name: str, problems: list[ContentProblem]) -> None:
        self.shown_name = shown_name
        self.problems = problems
        self.seen: set[int] = set()

    def problem(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(ContentProblem(self.shown_name, line, message, hint))

    def convert(self, node: yaml.Node, depth: int) -> Any:
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            self.problem(line, f"nested more than {MAX_DEPTH} levels deep", "content files are flat lists of answers")
            return None
        if id(node) in self.seen or getattr(node, "anchor", None):
            self.problem(line, "anchors and aliases (&name, *name) are not allowed", "write the text out in full")
            return None
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in ("tag:yaml.org,2002:str",) and not node.tag.startswith("tag:yaml.org,2002:"):
                self.problem(line, f"custom tag {node.tag!r} is not allowed")
            return YamlText(node.value, line, plain=node.style in (None, ""))  # libyaml says "" for plain
        if isinstance(node, yaml.SequenceNode):
            items = YamlList(self.convert(item, depth + 1) for item in node.value)
            items.line = line
            return items
        mapping = YamlMap()
        mapping.line = line
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_line, "a key must be plain text")
                continue
            key = key_node.value
            if key == "<<":
                self.problem(key_line, "merge keys (<<) are not allowed", "write the fields out in full")
                continue
            if key in mapping.key_lines:
                self.problem(
                    key_line,
                    f"duplicate key '{key}' (first on line {mapping.key_lines[key]})",
                    "YAML keeps only the last one; delete or rename one of them",
                )
                continue
            mapping.key_lines[key] = key_line
            mapping[key] = self.convert(value_node, depth + 1)
        return mapping
