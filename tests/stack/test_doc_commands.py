"""Every shell command in the README and the developer guide, run in order against a live stack.

Each document gets a fresh copy of the checkout and its own stack, started with `opticserp up --detach`
(the guide's with `--with-postgres`, for its database commands) on the real default ports, and stopped by
PID at the end, also on failure. Commands run in the copy's root, as a reader's terminal would, one
`bash -c` each. A read-only command whose promised output depends on background work (a delivery, a
breaker's recovery) is re-run until it matches, for at most RETRY_TIMEOUT seconds. The stack syncs every
second and its breaker recovers after 5 s (FAST_TIMINGS: long enough for a busy machine to see it open),
so that the guide's scenarios take seconds, not a minute; no output the documents show depends on those two values.

Markers and output conventions: see `doc_commands`. Under xdist the stack tests serialise on a lock file
(they share ports), so `-n` works; under `-n` the root conftest runs them on one worker from the start.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import time
import uuid

import pytest

from pytest_opticserp.executors.base import ServerProcess
from pytest_opticserp.waiting import eventually
from tests.stack.doc_commands import (
    SKIP_REASONS,
    Command,
    DocumentError,
    commands_in,
    json_matches,
    lines_match,
    loads_with_ellipses,
)
from tests.stack.project import REPOSITORY, Project, stopped_at_exit

pytestmark = pytest.mark.xdist_group("devstack")

DOCUMENTS = {
    "README.md": ("up", "--detach"),
    "docs/developer-guide.md": ("up", "--detach", "--with-postgres"),
}
READ_ONLY = re.compile(r"^(curl\b(?!.*\s(-X|--request|-d|--data)\b)|sqlite3\b.*\bSELECT\b|\./dev (status|logs)\b)")
FAST_TIMINGS = {"SYNC_INTERVAL": "1", "CIRCUIT_BREAKER_RECOVERY_TIMEOUT": "5"}
SYSTEM_TOOLS = ("curl", "sqlite3", "ss", "grep")
RETRY_TIMEOUT = 30.0
FOLLOW_TIMEOUT = 30.0


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_command_in_the_document_works_against_a_live_stack(document, project, stack_ports) -> None:
    commands = commands_in(REPOSITORY / document)
    project.env.update(FAST_TIMINGS)
    missing: dict[str, list[str]] = {}
    with stopped_at_exit(project):
        project.run(*DOCUMENTS[document])
        try:
            for command in commands:
                if command.mode == "skip":
                    continue
                tool = absent_tool(command)
                if tool:
                    missing.setdefault(tool, []).append(command.where)
                    continue
                if command.mode == "follow":
                    follow(command, project)
                else:
                    run(command, project)
        except BaseException:
            print(project.run("status", check=False).stdout)
            print(project.run("logs", "-n", "80", check=False).stdout)
            raise
    if missing:
        pytest.skip("every other command works; not run for lack of a tool: " + "; ".join(
            f"{tool} ({', '.join(places)})" for tool, places in missing.items()))


def absent_tool(command: Command) -> str | None:
    """A tool the command uses that a machine may lack (the guide lists them as prerequisites)."""
    words = set(shlex.split(command.text, comments=True))
    return next((tool for tool in SYSTEM_TOOLS if tool in words and shutil.which(tool) is None), None)


def run(command: Command, project: Project) -> None:
    def attempt() -> str | None:
        started = time.monotonic()
        result = project.shell(command.text)
        # The transcript, shown if the test fails.
        print(f"{command.where} ({time.monotonic() - started:.1f} s)$ {command.text}\n{result.stdout}{result.stderr}")
        assert result.returncode == 0, (f"{command.where}: `{command.text}` exited with {result.returncode}\n"
                                        f"{result.stdout}\n{result.stderr}")
        return unmet(command, result.stdout)

    problem = attempt()
    if problem is None:
        return
    if not READ_ONLY.match(command.text):
        pytest.fail(problem, pytrace=False)
    eventually(lambda: attempt() is None, f"{command.where} to print what the document shows", attempt,
               timeout=RETRY_TIMEOUT, interval=0.1)


def unmet(command: Command, output: str) -> str | None:
    """What of the promised output is missing, or None."""
    shown = command.expected_json
    if shown is not None:
        try:
            actual = loads_with_ellipses(output.strip())
        except ValueError:
            return f"{command.where}: `{command.text}` printed no JSON: {output[:500]}"
        if not json_matches(shown, actual):
            return f"{command.where}: expected {shown}, got {output[:1500]}"
    if command.expected_lines is not None and not lines_match(command.expected_lines, output):
        return f"{command.where}: expected lines {command.expected_lines}, got:\n{output}"
    return None


def follow(command: Command, project: Project) -> None:
    """Start a command that keeps running, wait for its first output (or the text it is to print), then
    Ctrl-C it; it must exit cleanly."""
    log = project.root.parent / f"follow-{uuid.uuid4().hex[:8]}.log"  # beside the project, not in it
    process = ServerProcess(command.text, ["bash", "-c", command.text], logfile=log, cwd=project.root,
                            env=project.env).start()

    def output() -> str:
        return log.read_text(errors="replace")

    try:
        awaited = f"{command.where}: {command.until or 'output'} from `{command.text}`"
        eventually(lambda: (text := output()) and command.until in text, awaited, output, timeout=FOLLOW_TIMEOUT)
        process.signal_group(signal.SIGINT)  # what Ctrl-C in the terminal does
        code = process.wait(FOLLOW_TIMEOUT)
    finally:
        process.stop()
    assert code == 0, f"{command.where}: `{command.text}` exited with {code} on Ctrl-C:\n{output()}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_document_runs_most_of_its_commands_and_skips_only_for_accepted_reasons(document) -> None:
    commands = commands_in(REPOSITORY / document)
    skipped = [command for command in commands if command.mode == "skip"]

    assert len(commands) - len(skipped) >= len(skipped)
    for command in skipped:
        covered_by = next(match.group("test") for pattern in SKIP_REASONS
                          if (match := pattern.match(command.reason)) and "test" in pattern.groupindex) \
            if "covered by" in command.reason else None
        assert covered_by is None or (REPOSITORY / covered_by).is_file(), f"{command.where}: no {covered_by}"


def test_a_shown_json_object_with_ellipses_accepts_richer_output() -> None:
    shown = loads_with_ellipses('{"status": "healthy", "receipt_id": "...", "qr": "t=...&s=5000.00&n=1", ...}')

    assert json_matches(shown, {"status": "healthy", "receipt_id": "abc", "qr": "t=2026&s=5000.00&n=1", "more": 1})
    assert not json_matches(shown, {"status": "degraded", "receipt_id": "abc", "qr": "t=2026&s=5000.00&n=1"})
    assert not json_matches(shown, {"status": "healthy", "qr": "t=2026&s=5000.00&n=1"})


def test_a_number_shown_matches_the_same_number_but_not_a_boolean() -> None:
    assert json_matches({"total": 5000.00, "count": 1}, {"total": 5000, "count": 1})
    assert not json_matches({"count": 1}, {"count": True})


def test_continued_and_quoted_lines_make_one_command_and_comments_after_it_its_output(tmp_path) -> None:
    document = tmp_path / "doc.md"
    document.write_text('```bash\n# what this does\ncurl -X POST http://x \\\n  -d \'{\n  "a": 1\n}\'\n'
                        '# {"status": "ok", ...}\ncurl http://y\n```\n')

    first, second = commands_in(document)

    assert first.text.startswith("curl -X POST") and first.text.endswith("}'")
    assert first.expected_json == {"status": "ok"}
    assert (second.line, second.expected_json) == (8, None)


def test_an_output_block_belongs_to_the_command_before_it(tmp_path) -> None:
    document = tmp_path / "doc.md"
    document.write_text("```bash\n./dev status\n```\n<!-- doc-test: output -->\n```text\n adapter ... healthy\n```\n")

    [command] = commands_in(document)

    assert command.expected_lines == [" adapter ... healthy"]
    assert lines_match(command.expected_lines, "SERVICE\n adapter   KKT adapter   1234   healthy   ok\n")
    assert not lines_match(command.expected_lines, " adapter   KKT adapter   stopped\n")


def test_a_skip_for_a_reason_not_accepted_is_refused(tmp_path) -> None:
    document = tmp_path / "doc.md"
    document.write_text("<!-- doc-test: skip too slow -->\n```bash\nsleep 100\n```\n")

    with pytest.raises(DocumentError, match="'too slow' is not an accepted reason"):
        commands_in(document)
