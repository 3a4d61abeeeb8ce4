"""Evidence verified, not claimed: run the team's test command against a draft, here.

An agent's `"status": "passed"` is its word. `verify` checks it on the engineer's machine:
a scratch git worktree of HEAD is made in a temporary folder outside the workspace (through
the hardened runner: no hook, filter or other configured program runs), the engineer's saved
changes to the draft's files are copied in, the draft is applied there, and the command the
team file on the base branch names (`[evidence] command`, an argv list run without a shell;
`{refs}` becomes one argument per test ref of the draft) runs in it with a timeout. The
outcome is kept in the engineer's per-user state, outside the workspace, bound to the draft's
content: no agent can write one, and a draft changed after it was verified is unverified.

The command itself is the team's, reviewed on the base branch: a draft's tests are code, so
verifying runs code, which is why only the engineer starts it (CLI or editor command). What
that code gets is bounded: it runs under `reaper` (nothing it starts outlives the run, however
it detaches), with an allow-listed environment (`BASE_ENV`, `LC_*` and the names the team
file's `[evidence] env` lists: never the engineer's whole environment, cloud keys and tokens
included), and a draft's test refs reach it only as arguments, never as options.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from stitch_ls.core.drafts.anchor import plan_draft
from stitch_ls.core.drafts.edits import apply_plan_to_disk
from stitch_ls.core.drafts.gate import draft_digest
from stitch_ls.core.files.fsio import read_inside, unlink_inside, write_inside
from stitch_ls.core.policy.state import State, Verification
from stitch_ls.core.vcs.gitrun import open_repo

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from stitch_ls.core.drafts.model import Draft
    from stitch_ls.core.workspace import StitchWorkspace

REFS = "{refs}"
TAIL_CHARS = 4000
MAX_FILE_BYTES = 20 * 1024 * 1024
# What the tests see of the engineer's environment, besides `LC_*` and what `[evidence] env`
# names: enough to find programs, a home, the locale and a terminal; no credentials.
BASE_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR")
STOP_GRACE_S = 10.0  # how long the reaper gets to end the command's processes on a stop


class CouldNotRun(Exception):
    """Verification could not run (no command, no repository, a stale draft, ...): nothing
    is recorded."""


class NotApproved(CouldNotRun):
    """The team's test command has not run on this machine before: a person sees it and says
    yes first (`verify(..., approve_command=True)` once they did)."""

    def __init__(self, command: list[str]) -> None:
        super().__init__(
            f"the team's test command has not run here before: {' '.join(command)} (Stitch "
            "shows it to you and asks before it runs it the first time)"
        )
        self.command = command


def evidence_digest(evidence: object) -> str:
    """One version of the team's `[evidence]` settings (the command and what it runs with)."""
    data = evidence.to_data() if hasattr(evidence, "to_data") else evidence
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    draft: str
    outcome: str  # "passed" | "failed"
    command: list[str]
    exit_code: int | None
    duration_s: float
    tail: str

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_data(self) -> dict[str, object]:
        """The verdict as every door answers it (CLI `--json`, the editor's command)."""
        return {
            "draft": self.draft,
            "outcome": self.outcome,
            "command": self.command,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 3),
            "tail": self.tail,
        }

    def line(self) -> str:
        """The one-line verdict the CLI prints."""
        how = f"exit {self.exit_code}" if self.exit_code is not None else "timed out"
        return (
            f"verify {self.draft}: {self.outcome} ({how}, {self.duration_s:.1f}s): "
            f"{' '.join(self.command)}"
        )


def test_refs(draft: Draft) -> list[str]:
    """The draft's test evidence refs, in order, once each."""
    return list(dict.fromkeys(e.ref for e in draft.evidence if e.kind == "test"))


def expand(command: list[str], refs: list[str]) -> list[str]:
    """`{refs}` (a whole item) becomes one argument per ref; nothing else is substituted."""
    out: list[str] = []
    for item in command:
        if item == REFS:
            out.extend(refs)
        else:
            out.append(item)
    return out


def runnable(ws: StitchWorkspace, draft_id: str) -> tuple[Draft, list[str], list[str]]:
    """(the draft, the team's command, its test refs) when `draft_id` can be verified; raises
    Refused (decided, unknown) or CouldNotRun (invalid, no command, no test evidence)."""
    record = ws.pending(draft_id)
    if record.draft is None:
        raise CouldNotRun(f"draft {draft_id!r} is invalid: {record.error}")
    command = list(ws.team.evidence.command)
    if not command:
        raise CouldNotRun(
            "the team file names no verification command: add [evidence] command = "
            '["pytest", "-q", "{refs}"] on the base branch'
        )
    refs = test_refs(record.draft)
    if not refs:
        raise CouldNotRun(f"draft {draft_id!r} names no test evidence to run")
    option = next((ref for ref in refs if ref.startswith("-")), None)
    if option is not None:
        raise CouldNotRun(
            f"draft {draft_id!r}: test ref {option!r} starts with '-': the command would read "
            "it as an option, so it is not run"
        )
    return record.draft, command, refs


def verify(
    ws: StitchWorkspace,
    draft_id: str,
    by: str,
    now: datetime,
    *,
    cancel: threading.Event | None = None,
    approve_command: bool = False,
) -> Verdict:
    """Verify one pending draft and record the outcome; raises CouldNotRun or Refused, and
    NotApproved the first time a team's command would run here, unless a person just saw it
    and said yes (`approve_command`, recorded in their state)."""
    draft, command, refs = runnable(ws, draft_id)
    approval = evidence_digest(ws.team.evidence)
    if approval not in ws.state.evidence_commands:
        if not approve_command:
            raise NotApproved(command)

        def approved(state: State) -> None:
            state.evidence_commands.append(approval)

        ws._write_state(approved)
    argv = expand(command, refs)
    env = allowed_environment(os.environ, ws.team.evidence.env)
    with scratch_worktree(ws.root) as scratch:
        prepare(ws, draft, scratch)
        exit_code, duration, tail = run(argv, scratch, ws.team.evidence.timeout_s, cancel, env)
    verdict = Verdict(
        draft_id, "passed" if exit_code == 0 else "failed", argv, exit_code, duration, tail
    )
    digest = draft_digest(draft)

    def keep(state: State) -> None:
        state.verifications[draft_id] = Verification(
            outcome=verdict.outcome,  # type: ignore[arg-type]
            at=now,
            by=by,
            digest=digest,
            command=argv,
            exit_code=exit_code,
            duration_s=round(duration, 3),
            tail=tail,
            refs=refs,
        )

    ws._write_state(keep)
    return verdict


@contextlib.contextmanager
def scratch_worktree(root: Path):
    """A detached worktree of HEAD in a new temporary folder outside the workspace, removed
    (with git's record of it) afterwards."""
    repo = open_repo(root)
    if repo is None:
        raise CouldNotRun(f"{root} is not a git repository: nothing to verify against")
    try:
        repo.git.rev_parse("--verify", "HEAD^{commit}")
    except Exception:  # noqa: BLE001
        raise CouldNotRun("the repository has no commit yet") from None
    holder = Path(tempfile.mkdtemp(prefix="stitch-verify-"))
    real_root = root.resolve()
    if holder.resolve() == real_root or real_root in holder.resolve().parents:
        shutil.rmtree(holder, ignore_errors=True)
        raise CouldNotRun("the temporary folder lies inside the workspace")
    scratch = holder / "tree"
    try:
        try:
            repo.git.worktree("add", "--detach", "--quiet", str(scratch), "HEAD")
        except Exception as exc:  # noqa: BLE001
            raise CouldNotRun(f"cannot make a scratch worktree: {_first_line(exc)}") from None
        yield scratch
    finally:
        with contextlib.suppress(Exception):
            repo.git.worktree("remove", "--force", str(scratch))
        shutil.rmtree(holder, ignore_errors=True)
        with contextlib.suppress(Exception):
            repo.git.worktree("prune")


def prepare(ws: StitchWorkspace, draft: Draft, scratch: Path) -> None:
    """The engineer's saved version of each file the draft touches, then the draft itself."""
    for path in draft.paths:
        try:
            text = read_inside(ws.root, path, MAX_FILE_BYTES)
        except FileNotFoundError:
            unlink_inside(scratch, path)
            continue
        except (OSError, ValueError) as exc:
            raise CouldNotRun(f"cannot read {path}: {exc}") from None
        write_inside(scratch, path, text)

    def read(path: str) -> str | None:
        try:
            return read_inside(scratch, path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return None

    plan = plan_draft(draft, read, ws.find_symbol_on_disk)
    if plan.stale:
        raise CouldNotRun(f"the draft is stale: {plan.stale}")
    apply_plan_to_disk(scratch, plan)


def allowed_environment(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """What the tests see of `environ`: `BASE_ENV`, `LC_*` and `names` (where set)."""
    wanted = {*BASE_ENV, *names}
    env = {k: v for k, v in environ.items() if k in wanted or k.startswith("LC_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(
    argv: list[str],
    cwd: Path,
    timeout_s: float,
    cancel: threading.Event | None,
    env: dict[str, str],
) -> tuple[int | None, float, str]:
    """Run `argv` in `cwd` under the reaper (no shell, its own session, stdin closed, only
    `env`); the exit code (None on timeout), the duration and the output's tail. Cancelling
    stops it and raises."""
    start = time.monotonic()
    status_read, status_write = os.pipe()
    reaper = [sys.executable, "-I", "-m", "stitch_ls.core.drafts.reaper"]
    try:
        process = subprocess.Popen(
            [*reaper, str(status_write), str(os.getpid()), "--", *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(status_write,),
        )
    except OSError as exc:
        os.close(status_read)
        raise CouldNotRun(f"cannot start the test runner: {exc.strerror or exc}") from None
    finally:
        os.close(status_write)
    with os.fdopen(status_read, "rb") as status:
        why = status.read().decode("utf-8", "replace")  # closed once the command started
    if why:
        process.wait()
        raise CouldNotRun(f"cannot run {argv[0]}: {why}")
    output: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(process, output), daemon=True)
    reader.start()
    deadline = start + timeout_s
    timed_out = False
    while True:
        if cancel is not None and cancel.is_set():
            _stop(process)
            reader.join(5)
            raise CouldNotRun("cancelled")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            _stop(process)
            break
        try:
            process.wait(timeout=min(remaining, 0.2 if cancel is not None else remaining))
            break
        except subprocess.TimeoutExpired:
            continue
    reader.join(5)
    duration = time.monotonic() - start
    tail = b"".join(output)[-TAIL_CHARS:].decode("utf-8", "replace")
    if timed_out:
        tail += f"\n[stitch: stopped after the {timeout_s:g}s timeout]"
        return None, duration, tail
    return process.returncode, duration, tail


def _drain(process: subprocess.Popen, output: list[bytes]) -> None:
    assert process.stdout is not None
    kept = 0
    for chunk in iter(lambda: process.stdout.read(8192), b""):  # type: ignore[union-attr]
        output.append(chunk)
        kept += len(chunk)
        while kept > 4 * TAIL_CHARS and len(output) > 1:
            kept -= len(output.pop(0))


def _stop(process: subprocess.Popen) -> None:
    """Ask the reaper to end the command and everything it started; if it cannot in time,
    kill its process group (what stayed in it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            process.wait(5)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
