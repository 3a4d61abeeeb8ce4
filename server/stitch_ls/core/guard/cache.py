"""The guard's policy facts, compiled once and re-checked by `stat` on every tool call.

Reading the team file means validating it (pydantic), and streams over the cap mean asking
git (GitPython): far too slow for a hook that runs before every tool call. So the full load
(`compile_facts`, the slow path) goes through `StitchWorkspace` exactly as every other door
does, and writes the resulting `PolicyFacts` as a small JSON file in the per-user state
folder, with the `stat` (mtime_ns, size, inode) of every input it was computed from: the
team file, the state file, and every ref and worktree `HEAD` of the repository (local and
remote-tracking branches, `packed-refs`: `core.vcs.refs`). The
fast path (`cached_facts`) re-stats those inputs and uses the cache only if none changed and
the quiet-hours state it recorded has not reached its next transition.

The cache never loosens: a missing, corrupt, foreign or stale cache is simply not used; an
input that changed while it was being compiled means the cache is not written; and a failure
anywhere is the caller's to turn into a denial.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from stitch_ls import __version__
from stitch_ls.core.files.fsio import atomic_write, parse_json
from stitch_ls.core.files.userdir import user_state_dir, workspace_key
from stitch_ls.core.guard.rules import PolicyFacts
from stitch_ls.core.vcs import refs

CACHE_VERSION = 4  # 2: times written by core.timefmt; 3: git_runs; 4: stream, on_collision
MAX_AGE = timedelta(minutes=10)  # a bound on trusting a cache whose inputs all look the same
MAX_CACHE_BYTES = 1024 * 1024


def cache_file(root: Path) -> Path:
    return user_state_dir() / f"{workspace_key(root)}-policy.json"


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _code_version() -> str:
    return f"{__version__}/{CACHE_VERSION}"


def input_paths(root: Path, config: Path, state_files: list[Path]) -> list[str]:
    """Every file and folder the compiled facts depend on: the team file, the engineer's
    state, and every ref and worktree `HEAD` of the repository (`refs.watched`)."""
    paths = [str(config), *(str(p) for p in state_files), str(root / ".git")]
    dirs = refs.locate(root)
    if dirs is not None:
        paths.extend(refs.watched(dirs))
        paths += [str(dirs.common_dir / "config"), str(dirs.git_dir / "config.worktree")]
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.vcs.gitrun import user_config_files

    paths += [str(p) for p in user_config_files()]
    return paths


# -- fast path --------------------------------------------------------------------------------


def cached_facts(root: Path, now: datetime) -> PolicyFacts | None:
    """The compiled facts if every input is as it was and none has expired, else None."""
    try:
        file = cache_file(root)
        if file.stat().st_size > MAX_CACHE_BYTES:
            return None
        data = parse_json(file.read_bytes())
        if data.get("version") != _code_version() or data.get("root") != str(root):
            return None
        if not (
            datetime.fromisoformat(data["computed_at"])
            <= now
            < datetime.fromisoformat(data["valid_until"])
        ):
            return None
        for path, recorded in data["inputs"]:
            if _stat(path) != recorded:
                return None
        return facts_from(data["facts"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def facts_from(data: dict[str, Any]) -> PolicyFacts:
    values = dict(data)
    for name in ("irreversible_paths", "problems"):
        values[name] = tuple(values.get(name) or ())
    return PolicyFacts(**values)


# -- slow path --------------------------------------------------------------------------------


def compile_facts(root: Path, now: datetime) -> PolicyFacts:
    """Load the policy through `StitchWorkspace` (as every door does), and keep the result
    for the fast path when no input changed while it was read."""
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.files.paths import StitchPaths
    from stitch_ls.core.operations import open_workspace

    stitch = StitchPaths(root)
    for _ in range(2):  # a first load may write the accepted team file: once more after it
        paths = input_paths(root, stitch.config, state_files(stitch))
        before = [[p, _stat(p)] for p in paths]
        ws, _ = open_workspace(root, finish=False)  # never waits on the apply lock
        git_runs, config_files = _git_programs(root)
        facts, valid_until = facts_of(ws, root, now)
        facts = facts._replace(git_runs=git_runs)
        after = [[p, _stat(p)] for p in input_paths(root, ws.paths.config, state_files(ws.paths))]
        if before == after:
            break
    if before == after:
        after += [[p, _stat(p)] for p in config_files if p not in paths]
        payload = {
            "version": _code_version(),
            "root": str(root),
            "computed_at": now.isoformat(),
            "valid_until": valid_until.isoformat(),
            "inputs": after,
            "facts": {
                **facts._asdict(),
                "irreversible_paths": list(facts.irreversible_paths),
                "problems": list(facts.problems),
            },
        }
        atomic_write(cache_file(root), json.dumps(payload, indent=1) + "\n")
    return facts


def _git_programs(root: Path) -> tuple[str | None, list[str]]:
    """A key that makes git run a program, set by a file the repository controls (None when
    none is), and every configuration file git read: the cache holds while none changes."""
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.vcs.gitrun import configured_programs, open_repo

    repo = open_repo(root)
    if repo is None:
        return None, []
    try:
        return configured_programs(repo)
    except Exception as exc:  # noqa: BLE001 - unreadable: git is not trusted to run nothing
        return f"the configuration could not be read ({type(exc).__name__})", []


def state_files(paths: Any) -> list[Path]:
    """The engineer's files the workspace reads (where `load_state` looks: the user's own,
    the repository's shared switches, and the ones it takes over while the user's does not
    exist yet; and the team file version this person accepted, which a person's approval
    changes)."""
    found = [paths.state, paths.legacy_state, paths.accepted]
    for extra in (paths.shared_switches, paths.legacy_user_file(".json")):
        if extra is not None:
            found.append(extra)
    return found


def facts_of(ws: Any, root: Path, now: datetime) -> tuple[PolicyFacts, datetime]:
    """The guard's facts from a loaded workspace, and until when they hold (time-wise)."""
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.timefmt import human_time

    zone = ws.display_zone()
    read_only = ws.read_only()
    quiet = ws.quiet_state(now)
    change = quiet.until if quiet.on else quiet.next_start
    valid_until = min(now + MAX_AGE, change) if change is not None else now + MAX_AGE
    dirs = refs.locate(root)
    branch = refs.head_branch(dirs.git_dir) if dirs is not None else None
    facts = PolicyFacts(
        root=str(root),
        read_only=read_only.on,
        read_only_by=read_only.by,
        read_only_since=human_time(read_only.since, zone),
        read_only_reason=read_only.reason,
        quiet=quiet.on,
        quiet_until=human_time(quiet.until, zone),
        irreversible_paths=tuple(ws.policy.irreversible_paths),
        direct_edits=getattr(ws.team.agents, "direct_edits", "any"),
        branch=branch,
        on_stream=_on_stream(ws, branch),
        over_cap=_over_cap(ws, root, branch, now),
        problems=tuple(p.message for p in ws.config_problems),
        stream=_stream_of(ws, branch),
        on_collision=ws.team.streams.on_collision,
    )
    return facts, valid_until


def _on_stream(ws: Any, branch: str | None) -> bool:
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.vcs.streams import pattern_regex

    return branch is not None and bool(pattern_regex(ws.team.streams.branch_pattern).match(branch))


def _stream_of(ws: Any, branch: str | None) -> str | None:
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.vcs.streams import pattern_regex, stream_name

    if branch is None:
        return None
    return stream_name(pattern_regex(ws.team.streams.branch_pattern), branch)


def _over_cap(ws: Any, root: Path, branch: str | None, now: datetime) -> str | None:
    """Why `branch` is a stream over its feature's cap, or None."""
    if branch is None:
        return None
    # start-up: the guard's cached path; only a stale policy needs these
    from stitch_ls.core.vcs.streams import discover, open_repo, pattern_regex

    team = ws.team
    if not pattern_regex(team.streams.branch_pattern).match(branch):
        return None
    repo = open_repo(root)
    if repo is None:
        return None
    cap = team.streams.max_per_feature
    streams = discover(repo, team.streams.base, team.streams.branch_pattern, now)
    for feature, group in streams.over_cap(cap).items():
        if any(s.branch == branch for s in group):
            names = ", ".join(s.name for s in group)
            return (
                f"stream {branch} is one of {len(group)} streams on feature {feature} "
                f"({names}), over the team's cap of {cap}"
            )
    return None


def policy_facts(root: Path, now: datetime) -> PolicyFacts:
    """The facts for one decision: the cache when it holds, else the full load."""
    root = Path(os.path.realpath(root))
    return cached_facts(root, now) or compile_facts(root, now)
