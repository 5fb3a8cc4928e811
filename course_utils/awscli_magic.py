"""``%aws`` / ``%%aws``: run AWS CLI v1 commands in-process against the sandbox.

The CLI is the real ``awscli`` package (v1, same botocore as boto3), driven in the kernel's
own process, so its requests are answered by the same moto state that boto3 cells see and
the output is the CLI's own.

    %aws dynamodb list-tables
    %%aws
    aws dynamodb create-table \\
        --table-name SessionStore ...

Use ``%aws`` rather than ``!aws``: a shell command runs in another process, outside the sandbox.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import sys
from dataclasses import dataclass

__all__ = ["AwsCliResult", "run_aws", "split_commands", "load_ipython_extension", "AwsCliRefused"]

_REFUSED_OPTIONS = {
    "--endpoint-url": "the sandbox answers every request in-process; a custom endpoint would bypass it",
    "--profile": "the sandbox hides your own AWS profiles; its fake credentials are already set",
}


class AwsCliRefused(ValueError):
    """A command the sandbox will not run, with the reason."""


@dataclass(frozen=True)
class AwsCliResult:
    """Exit status and captured streams of one CLI command."""

    returncode: int
    stdout: str
    stderr: str


def split_commands(text: str) -> list[list[str]]:
    """Split a cell into argument lists: one per command, backslash continuations joined.

    Blank lines and ``#`` comments are skipped; a leading ``aws`` is optional.
    """
    joined = text.replace("\\\r\n", " ").replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        argv = shlex.split(stripped, comments=True)
        if argv and argv[0] == "aws":
            argv = argv[1:]
        if argv:
            commands.append(argv)
    return commands


def _check(argv: list[str]) -> None:
    from . import sandbox

    if not sandbox.is_running():
        raise AwsCliRefused("The AWS sandbox is not running: run the notebook's Setup cell (sandbox.start()) first.")
    for arg in argv:
        option = arg.split("=", 1)[0]
        if option in _REFUSED_OPTIONS:
            raise AwsCliRefused(f"{option} is not available here: {_REFUSED_OPTIONS[option]}.")
    if "help" in argv:
        raise AwsCliRefused("CLI help pages need a terminal pager; read them in the AWS CLI reference instead.")


def run_aws(argv: list[str] | str, *, capture: bool = True) -> AwsCliResult:
    """Run one CLI command (``argv`` without the leading ``aws``) in the sandbox.

    With ``capture=False`` the CLI writes straight to this process's stdout/stderr
    (what the magic does, so output streams into the notebook).
    """
    if isinstance(argv, str):
        commands = split_commands(argv)
        if len(commands) != 1:
            raise AwsCliRefused(f"expected one command, got {len(commands)}")
        argv = commands[0]
    _check(argv)
    from awscli.clidriver import create_clidriver

    out, err = io.StringIO(), io.StringIO()
    redirect_out = contextlib.redirect_stdout(out) if capture else contextlib.nullcontext()
    redirect_err = contextlib.redirect_stderr(err) if capture else contextlib.nullcontext()
    with redirect_out, redirect_err:
        try:
            rc = create_clidriver().main(list(argv))
        except SystemExit as exc:  # argparse usage errors exit
            rc = exc.code if isinstance(exc.code, int) else 2
    return AwsCliResult(int(rc or 0), out.getvalue(), err.getvalue())


def _aws_magic(line: str, cell: str | None = None) -> None:
    text = cell if cell is not None else line
    try:
        commands = split_commands(text)
        if not commands:
            print("usage: %aws <service> <operation> [options]   (or a %%aws cell of full 'aws ...' commands)")
            return
        for argv in commands:
            if len(commands) > 1:
                print("$ aws " + shlex.join(argv))
            result = run_aws(argv, capture=False)
            if result.returncode:
                print(f"(aws exited with status {result.returncode})", file=sys.stderr)
    except (AwsCliRefused, ValueError) as exc:
        print(f"%aws: {exc}", file=sys.stderr)


def load_ipython_extension(shell) -> None:  # noqa: ANN001 - IPython's InteractiveShell
    """Register ``%aws`` and ``%%aws`` (also usable as ``%load_ext course_utils.awscli_magic``)."""
    shell.register_magic_function(_aws_magic, magic_kind="line_cell", magic_name="aws")
