"""User-facing errors and the exit codes the CLI returns (listed in the README)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # the scan ran and every threshold was met
    THRESHOLD = 1  # the scan ran, but a threshold (--fail-under) was missed
    USAGE = 2  # wrong flags or arguments (Typer's own code for usage errors)
    BAD_INPUT = 3  # the registry, checklist or config file has errors
    FAILED = 4  # the scan could not run (store unwritable, nothing to resume, ...)
    INTERRUPTED = 130  # Ctrl-C; the run can be continued with --resume


class SiteauditError(Exception):
    """An error a person can act on: one line naming the file/row/key, what is wrong, the fix."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(SiteauditError):
    """A problem in a file the user wrote: registry CSV, checklist YAML, config."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)


class ScanError(SiteauditError):
    exit_code = ExitCode.FAILED
