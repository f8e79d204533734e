"""The shell commands a Markdown document shows, with the output it promises for each.

Conventions the documents follow (and `test_doc_commands` enforces):

- Commands are in ```bash blocks, one per line; a line ending in `\\` or an open quote continues.
- A `#` comment right after a command that shows a JSON object is that command's expected output. `...`
  stands for more fields (`{"status": "healthy", ...}`) or any value (`"receipt_id": "..."`); the output may
  have more fields than shown. Other comments are explanations.
- A ```text block right after `<!-- doc-test: output -->` is the expected output of the command just
  before it: each of its lines must appear, in order, with `...` for any text and any run of spaces
  matching any run of spaces.
- `<!-- doc-test: follow -->` before a block: each command keeps running (e.g. `logs -f`); it must print
  something (with `follow until "TEXT"`: TEXT), then stop cleanly on Ctrl-C.
- `<!-- doc-test: skip REASON -->` before a block: not run. Only the reasons in SKIP_REASONS are accepted.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MARKER = re.compile(r"^<!--\s*doc-test:\s*(?P<what>.*?)\s*-->$")
FENCE = re.compile(r"^```(?P<info>[\w-]*)\s*$")
SHELL_INFOS = {"bash", "sh", "shell"}
COVERED_BY = r"; covered by (?P<test>tests/\S+\.py)$"  # a test elsewhere runs what the command does
SKIP_REASONS = (
    re.compile(r"^needs Docker$"),
    re.compile(r"^needs Odoo$"),
    re.compile(r"^runs the whole test suite$"),
    # Tests the suite runs anyway (a run of tests/unit in the doc test cost 5 s of CPU); the covering test runs
    # `./dev test` with arguments in a copy of the checkout, as the document's command does.
    re.compile(r"^runs tests the suite runs itself" + COVERED_BY),
    re.compile(r"^runs in the foreground until Ctrl-C" + COVERED_BY),
)

Mode = Literal["run", "follow", "skip"]


class DocumentError(ValueError):
    """The document breaks the conventions above; the message says where."""


@dataclass
class Command:
    document: Path
    line: int
    text: str
    mode: Mode = "run"
    reason: str = ""
    until: str = ""
    comments: list[str] = field(default_factory=list)
    expected_lines: list[str] | None = None

    @property
    def where(self) -> str:
        return f"{self.document.name}:{self.line}"

    @property
    def expected_json(self) -> Any:
        """The JSON object shown in the comments after the command, or None."""
        text = " ".join(self.comments)
        if "{" not in text:
            return None
        shown = text[text.index("{"): text.rindex("}") + 1]
        try:
            return loads_with_ellipses(shown)
        except ValueError as exc:
            raise DocumentError(f"{self.where}: the output shown is not JSON ({exc}): {shown}") from None


def commands_in(document: Path) -> list[Command]:
    lines = document.read_text().splitlines()
    commands: list[Command] = []
    directive: tuple[str, int] | None = None
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        marker = MARKER.match(line)
        fence = FENCE.match(line)
        if marker:
            directive = (marker.group("what"), number + 1)
        elif fence and fence.group("info"):
            end = _closing_fence(lines, number, document)
            body = lines[number + 1:end]
            what = directive[0] if directive else ""
            if fence.group("info") in SHELL_INFOS:
                commands += _block_commands(document, number + 2, body, what)
            elif what == "output":
                if not commands:
                    raise DocumentError(f"{document.name}:{number + 1}: an output block with no command before it")
                commands[-1].expected_lines = [text for text in body if text.strip()]
            elif what:
                raise DocumentError(f"{document.name}:{directive[1]}: {what!r} does not apply to a "
                                    f"```{fence.group('info')} block")
            directive = None
            number = end
        elif line and directive is not None:
            raise DocumentError(f"{document.name}:{directive[1]}: the marker is not right before a code block")
        number += 1
    return commands


def _closing_fence(lines: list[str], start: int, document: Path) -> int:
    for number in range(start + 1, len(lines)):
        if lines[number].strip() == "```":
            return number
    raise DocumentError(f"{document.name}:{start + 1}: a code block that never ends")


def _block_commands(document: Path, first_line: int, body: list[str], what: str) -> list[Command]:
    mode: Mode = "run"
    reason = until = ""
    follow = re.fullmatch(r'follow(?: until "(?P<until>[^"]+)")?', what)
    if follow:
        mode, until = "follow", follow.group("until") or ""
    elif what.startswith("skip "):
        mode, reason = "skip", what.removeprefix("skip ").strip()
        if not any(pattern.match(reason) for pattern in SKIP_REASONS):
            raise DocumentError(f"{document.name}:{first_line - 2}: {reason!r} is not an accepted reason to skip")
    elif what:
        raise DocumentError(f"{document.name}:{first_line - 2}: unknown marker {what!r} before a shell block")
    commands: list[Command] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(body):
        text = raw.rstrip()
        if not pending:
            stripped = text.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                if commands:
                    commands[-1].comments.append(stripped.lstrip("#").strip())
                continue
            start = offset
        pending.append(text)
        joined = "\n".join(pending)
        if _complete(joined):
            commands.append(Command(document, first_line + start, joined.strip(), mode, reason, until))
            pending = []
    if pending:
        raise DocumentError(f"{document.name}:{first_line + start}: an unfinished command: {' '.join(pending)}")
    return commands


def _complete(text: str) -> bool:
    if text.endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def loads_with_ellipses(text: str) -> Any:
    """JSON in which `...` stands for further fields or elements, or for any value (`"key": ...`)."""
    text = re.sub(r":\s*\.\.\.(?=\s*[,}])", ': "..."', text)
    text = re.sub(r",\s*\.\.\.(?=\s*[}\]])", "", text)
    text = re.sub(r"(?<=[{\[])\s*\.\.\.\s*,?", "", text)
    return json.loads(text)


def json_matches(expected: Any, actual: Any) -> bool:
    """Whether `actual` has everything `expected` shows; the string "..." matches any value."""
    if expected == "...":
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and json_matches(value, actual[key]) for key, value in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) >= len(expected) and all(
            json_matches(e, a) for e, a in zip(expected, actual, strict=False))
    if isinstance(expected, str) and "..." in expected:
        return isinstance(actual, str) and re.fullmatch(_pattern(expected), actual, re.S) is not None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual


def lines_match(expected: list[str], actual: str) -> bool:
    """Whether each expected line matches a line of `actual`, in order."""
    remaining = iter(actual.splitlines())
    return all(any(re.search(_pattern(want.strip()), line) for line in remaining) for want in expected)


def _pattern(shown: str) -> str:
    parts = [r"\s+".join(re.escape(word) for word in piece.split()) for piece in shown.split("...")]
    return ".*".join(parts)
