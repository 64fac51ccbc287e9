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
SYNTAX_HINT = "check the quotes and indentation on this line and the one above"
INDENT_HINT = (
    "indent it like the other lines at its level, with spaces: in answer files '- id:' is 2 spaces in, "
    "the other fields 4, and '- ' items under a field 6"
)
_QUOTED_VALUE = re.compile(r"\s*(?:- )?(?:[\w-]+:\s+)?(['\"])(.*)$")

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
        problems.append(
            ContentProblem(
                shown_name, 1, f"cannot read file: {error.strerror}", "check that the file exists and you may open it"
            )
        )
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
        problems.append(
            ContentProblem(
                shown_name,
                line,
                "file is not saved as UTF-8 text: a character on this line (such as £, é or a curly quote) "
                "is in another encoding",
                "save the file with the encoding UTF-8 (in most editors: Save As, then choose UTF-8)",
            )
        )
        return None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        problems.append(ContentProblem(shown_name, *_syntax_problem(text, error)))
        return None
    except yaml.YAMLError as error:
        problems.append(ContentProblem(shown_name, 1, f"not valid YAML: {error}", SYNTAX_HINT))
        return None
    except RecursionError:
        problems.append(ContentProblem(shown_name, 1, "nested too deeply to read", f"keep nesting under {MAX_DEPTH}"))
        return None
    if node is None:
        return None
    converter = _Converter(shown_name, problems)
    return converter.convert(node, 0)


def _syntax_problem(text: str, error: yaml.MarkedYAMLError) -> tuple[int, str, str]:
    """The line, message and hint for a YAML syntax error, saying what an editor most likely did."""
    lines = text.splitlines()
    problem = str(error.problem or error)
    at = error.problem_mark.line + 1 if error.problem_mark else 1
    start = error.context_mark.line + 1 if error.context_mark else at
    written = lines[at - 1] if 0 < at <= len(lines) else ""
    if "\t" in written[: len(written) - len(written.lstrip())] or "tab" in problem:
        return at, "not valid YAML: this line is indented with a tab", "indent with spaces, not tabs"
    unclosed = next((number for number in range(start, at + 1) if _opens_quote(lines[number - 1 : number])), None)
    if unclosed is not None:
        return (
            unclosed,
            "not valid YAML: a quote opened on this line is not closed",
            "end the text with the same quote mark it starts with, or remove the opening quote",
        )
    if "could not find expected ':'" in problem:
        return (
            start,
            "not valid YAML: this line has no ':' after its field name",
            "write the field name, a colon, a space, then the value, e.g. 'source: Benefits and Considerations'",
        )
    if "found undefined alias" in problem:
        return at, "anchors and aliases (&name, *name) are not allowed", "write the text out in full"
    if "mapping values are not allowed" in problem and not _indented_more_than_line_above(lines, at):
        return (
            at,
            "not valid YAML: this text contains ': ', which YAML reads as the start of another field",
            "put the whole text in quotes, or write '>-' and put the text on the lines below",
        )
    if "mapping values are not allowed" in problem or "expected" in problem:
        return at, "not valid YAML: this line is not lined up with the lines above it", INDENT_HINT
    return at, f"not valid YAML: {problem}", SYNTAX_HINT


def _opens_quote(lines: list[str]) -> bool:
    """Whether a line's value starts with a quote mark that the line does not close."""
    match = _QUOTED_VALUE.match(lines[0]) if lines else None
    if match is None:
        return False
    quote, rest = match.group(1), match.group(2).split(" #")[0].rstrip()
    return rest == "" or not rest.endswith(quote)


def _indented_more_than_line_above(lines: list[str], number: int) -> bool:
    """Whether line ``number`` starts further right than the last line above it with content."""
    above = next(
        (line for line in reversed(lines[: number - 1]) if line.strip() and not line.lstrip().startswith("#")), None
    )
    if above is None or number > len(lines):
        return False
    indent = len(lines[number - 1]) - len(lines[number - 1].lstrip())
    return indent > len(above) - len(above.lstrip(" -"))


class _Converter:
    def __init__(self, shown_name: str, problems: list[ContentProblem]) -> None:
        self.shown_name = shown_name
        self.problems = problems
        self.reading: set[int] = set()  # id() of every node met, finished or not (an alias may name an ancestor)
        self.converted: dict[int, Any] = {}  # id(node) -> its value, for an alias to repeat without reading it again

    def problem(self, line: int, message: str, hint: str) -> None:
        self.problems.append(ContentProblem(self.shown_name, line, message, hint))

    def convert(self, node: yaml.Node, depth: int, used_at: int = 0) -> Any:
        """The node as YamlText, YamlList or YamlMap; ``used_at`` is the line of the key it is the value of."""
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            self.problem(line, f"nested more than {MAX_DEPTH} levels deep", "content files are flat lists of answers")
            return None
        if id(node) in self.reading:
            # An alias (*name): PyYAML gives the node of its anchor (&name) again, marked where the anchor is.
            self.problem(
                used_at or line,
                f"anchors and aliases (&name, *name) are not allowed: this repeats what line {line} says",
                "write the text out in full here",
            )
            return self.converted.get(id(node))
        self.reading.add(id(node))
        value = self._convert(node, depth, line)
        self.converted[id(node)] = value
        return value

    def _convert(self, node: yaml.Node, depth: int, line: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in ("tag:yaml.org,2002:str",) and not node.tag.startswith("tag:yaml.org,2002:"):
                self.problem(line, f"custom tag {node.tag!r} is not allowed", "remove the '!' and the word after it")
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
                self.problem(key_line, "a key must be plain text", "write a field name, such as 'question:'")
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
            mapping[key] = self.convert(value_node, depth + 1, key_line)
        return mapping
