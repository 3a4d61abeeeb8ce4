"""The one way Stitch runs git: with every program a repository could name turned off.

A repository is hostile until proven otherwise. Its `.git/config` (which any agent in the
work tree can edit) and its committed `.gitattributes` can make git run programs: merge
drivers, clean/smudge filters and long-running filter processes, textconv and external diff
commands, the fsmonitor hook, hooks, pagers, credential helpers, ssh commands, signature
programs. Every git call Stitch makes goes through a repository opened here, which overrides
each of those for the call (through `GIT_CONFIG_COUNT`/`KEY`/`VALUE`, git's own command-line
configuration, which wins over every file and needs no quoting):

- fixed keys (`core.fsmonitor`, `core.hooksPath`, pagers, `credential.helper`, ...) are set
  to values that run nothing;
- keys named by the repository (`merge.<driver>.driver`, `filter.<name>.clean`,
  `protocol.<name>.allow`, ...) are found by listing the configuration (reading, which runs
  nothing) — every file git could read, the files of every `include` and `includeIf` whatever
  its condition (a block that applies only in a worktree made later still names its keys) —
  and each is overridden: filters and diff drivers become empty (git then uses the content as
  it is), a merge driver becomes git's own `merge-file`, which is what git does without a
  driver, a protocol other than file, https, ssh and git is never allowed. The overrides are
  kept while none of those files changes (a `stat` each).

Every run is bounded (GIT_TIMEOUT_S, then the process and its children are killed), and git
is not run at all on a repository where a ref, `HEAD`, `packed-refs`, the index or a
configuration file is not a regular file: a FIFO there would make git (or GitPython, which
reads refs itself) wait for ever.

Output-shaping settings a repository could use to confuse the readers of git's output
(`diff.noprefix`, `color.ui`, `core.quotePath`, ...) are pinned as well.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stitch_ls.core.vcs.refs import hazards, locate

# Settings that make git run something, or change the shape of what Stitch reads.
FIXED: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.editor", ":"),
    ("sequence.editor", ":"),
    ("core.askPass", ""),
    ("core.sshCommand", "ssh -o BatchMode=yes"),
    ("core.gitProxy", ""),
    ("credential.helper", ""),
    ("diff.external", ""),  # empty: a diff without --no-ext-diff fails rather than runs
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("color.ui", "false"),
    ("core.quotePath", "true"),
    ("log.showSignature", "false"),
    ("gpg.program", "gpg"),
    ("gpg.ssh.program", "ssh-keygen"),
    ("gpg.x509.program", "gpgsm"),
    ("protocol.allow", "never"),
    ("protocol.ext.allow", "never"),
    ("protocol.fd.allow", "never"),
    ("protocol.file.allow", "always"),
    ("protocol.https.allow", "always"),
    ("protocol.ssh.allow", "always"),
    ("protocol.git.allow", "always"),
    ("uploadpack.packObjectsHook", ""),
    ("core.alternateRefsCommand", ""),
)

# What a named key becomes. Merge drivers: git's own three-way merge of the same files.
MERGE_FILE = "git merge-file --marker-size=%L %A %O %B"
NAMED = (
    (re.compile(r"^merge\.(.+)\.(driver|recursive)$", re.I | re.S), MERGE_FILE),
    (re.compile(r"^filter\.(.+)\.(clean|smudge|process)$", re.I | re.S), ""),
    (re.compile(r"^filter\.(.+)\.required$", re.I | re.S), "false"),
    (re.compile(r"^diff\.(.+)\.(textconv|command)$", re.I | re.S), ""),
    (re.compile(r"^credential\.(.+)\.helper$", re.I | re.S), ""),
    # (git keeps the FIRST uploadpack/receivepack it reads, so these two cannot be replaced
    # here: the one command that talks to a remote, `streams.fetch_streams`, passes
    # `--upload-pack` on its command line, which wins)
    (re.compile(r"^remote\.(.+)\.(uploadpack|receivepack|vcs|proxy)$", re.I | re.S), ""),
    (re.compile(r"^(url\.(.+)\.(insteadof|pushinsteadof))$", re.I | re.S), None),
    # a protocol the repository allows by name is more specific than `protocol.allow`
    (re.compile(r"^protocol\.(?!(file|https|ssh|git)\.allow$).+\.allow$", re.I | re.S), "never"),
)
GIT_TIMEOUT_S = float(os.environ.get("STITCH_GIT_TIMEOUT") or 60.0)
MAX_INCLUDES = 64

# Environment for every call: no prompts, no pager, no optional locks a read could take.
# (The user's own environment is theirs to trust: only the repository is hostile.)
ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_EDITOR": ":",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
    "GIT_PROTOCOL_FROM_USER": "0",
}

_named_cache: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}


def overrides(named_keys: Iterable[str]) -> list[tuple[str, str]]:
    """Every key to override and its harmless value: the fixed ones, then one per key the
    repository's configuration names (as `git config --list --name-only` spelled it)."""
    out = list(FIXED)
    for key in named_keys:
        for pattern, value in NAMED:
            if pattern.match(key) and value is not None:
                out.append((key, value))
                break
    return out


def environment(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """`pairs` as git's command-line configuration in the environment, plus `ENVIRONMENT`."""
    env = dict(ENVIRONMENT)
    env["GIT_CONFIG_COUNT"] = str(len(pairs))
    for index, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _stats(files: Iterable[Path]) -> tuple[Any, ...]:
    key: list[Any] = []
    for path in files:
        try:
            stat = path.stat()
            key.append((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            key.append((str(path), None))
    return tuple(key)


def _config_files(repo: Any) -> list[Path]:
    """The configuration files git reads for `repo` whatever the includes say: the
    repository's, the user's, and every file they include (conditionally or not)."""
    common = Path(repo.common_dir)
    files = [common / "config", Path(repo.git_dir) / "config.worktree", *user_config_files()]
    return files + [p for p in _included(repo) if p not in files]


def _listing(repo: Any, *where: str) -> list[tuple[str | None, str, str]]:
    """(origin file, key, value) of every entry, includes not followed."""
    listed = repo.git.config(
        *where, "--list", "--show-origin", "--no-includes", "-z", strip_newline_in_stdout=False
    )
    fields = listed.split("\x00")
    found = []
    for origin, entry in zip(fields[0::2], fields[1::2], strict=False):
        key, _, value = entry.partition("\n")
        path = origin.removeprefix("file:") if origin.startswith("file:") else None
        if path is not None and not os.path.isabs(path):  # relative to where git ran
            path = os.path.join(repo.working_dir, path)
        found.append((path, key, value))
    return found


def _included(repo: Any) -> list[Path]:
    """Every file an `include.path` or `includeIf.<condition>.path` names, at any depth,
    whatever the condition (bounded: MAX_INCLUDES)."""
    found: list[Path] = []
    pending = [(origin, value) for origin, key, value in _listing(repo) if _includes(key)]
    while pending and len(found) < MAX_INCLUDES:
        origin, value = pending.pop()
        path = Path(os.path.expanduser(value))
        if not path.is_absolute():
            base = Path(origin).parent if origin else Path(repo.git_dir)
            path = base / path
        if path in found:
            continue
        found.append(path)
        try:
            pending += [
                (str(path), v) for _, k, v in _listing(repo, "--file", str(path)) if _includes(k)
            ]
        except Exception:  # noqa: BLE001 - missing or unreadable: git reads nothing from it
            continue
    return found


def _includes(key: str) -> bool:
    lowered = key.lower()
    return lowered == "include.path" or (
        lowered.startswith("includeif.") and lowered.endswith(".path")
    )


def named_keys(repo: Any, files: Iterable[Path] = ()) -> tuple[str, ...]:
    """Every configuration key git could see for `repo` (reading the config runs nothing):
    what it lists, and what every included file (`files`) holds whatever its condition."""
    listed = repo.git.config("--list", "--name-only", "-z", strip_newline_in_stdout=False)
    keys = [key for key in listed.split("\x00") if key]
    for path in files:
        try:
            keys += [key for _, key, _ in _listing(repo, "--file", str(path))]
        except Exception:  # noqa: BLE001 - missing or unreadable: git reads nothing from it
            continue
    return tuple(dict.fromkeys(keys))


def harden(repo: Any) -> Any:
    """Make every later git call on `repo` run with the overrides (kept per config state)."""
    base = environment(list(FIXED))
    _apply(repo, base)
    files = _config_files(repo)
    cache_key = _stats(files)
    pairs = _named_cache.get(cache_key)
    if pairs is None:
        pairs = tuple(overrides(named_keys(repo, files[5:])))
        if len(_named_cache) > 64:
            _named_cache.clear()
        _named_cache[cache_key] = pairs
    _apply(repo, environment(list(pairs)))
    repo.stitch_config = files  # what `open_repo` re-checks before reusing it
    return repo


def _apply(repo: Any, env: dict[str, str]) -> None:
    repo.git.update_environment(**env)


_local = threading.local()


class UnsafeRepository(ValueError):
    """A repository git must not be run on (a ref or `HEAD` that is not a regular file)."""


def open_repo(root: Path) -> Any | None:
    """The git repository at `root`, hardened; None when there is none (or git is missing
    or broken); UnsafeRepository when its refs hold something git would wait on for ever.
    One per thread and root is kept while its configuration stays the same, so its
    long-lived `cat-file` processes serve every blob read (a process per file read cost
    seconds on a large snapshot)."""
    dirs = locate(root)
    if dirs is not None:
        unsafe = hazards(dirs)
        if unsafe:
            raise UnsafeRepository(
                f"{unsafe[0]} is not a regular file (a FIFO?): Stitch runs no git on this "
                "repository"
            )
    kept: dict[str, tuple[Any, Any]] = _local.__dict__.setdefault("repos", {})
    key = str(root)
    try:
        found = kept.get(key)
        if found is not None:
            repo, state = found
            if _stats(repo.stitch_config) == state:
                return repo
            repo.close()
        repo = harden(_bounded_repo_class()(root))
    except Exception:  # noqa: BLE001 - not a repository, broken, or no git: no streams
        kept.pop(key, None)
        return None
    if len(kept) > 8:
        for old, _ in kept.values():
            old.close()
        kept.clear()
    kept[key] = (repo, _stats(repo.stitch_config))
    return repo


_BOUNDED: Any = None


def _bounded_repo_class() -> Any:
    """GitPython's Repo whose every git run is killed (with its children) after
    GIT_TIMEOUT_S, unless the caller bounds it itself."""
    global _BOUNDED
    if _BOUNDED is None:
        # start-up: the guard and the language server import gitrun, not GitPython
        import git

        class BoundedGit(git.Git):
            def execute(self, command: Any, *args: Any, **kwargs: Any) -> Any:
                if not kwargs.get("as_process"):
                    kwargs.setdefault("kill_after_timeout", GIT_TIMEOUT_S)
                return super().execute(command, *args, **kwargs)

        class BoundedRepo(git.Repo):
            GitCommandWrapperType = BoundedGit

        _BOUNDED = BoundedRepo
    return _BOUNDED


def config_value(root: Path, key: str) -> str | None:
    """A configuration value as git reads it for the repository at `root` (the user's own
    files where `root` is no repository); None when unset or unreadable. Reading the
    configuration runs nothing."""
    try:
        repo = open_repo(root)
        if repo is not None:
            value = repo.git.config("--get", key, with_exceptions=False)
        else:
            # start-up: the guard and the language server import gitrun, not GitPython
            import git

            outside = git.Git(os.path.abspath(os.sep))
            outside.update_environment(**environment(list(FIXED)))
            value = outside.config("--global", "--get", key, with_exceptions=False)
    except Exception:  # noqa: BLE001 - git missing or broken: no value
        return None
    return str(value).strip() or None


# Keys that make git run a program when anyone runs git in the repository (an agent's own
# `git status` included): the guard lets no git command through read-only while one of these
# comes from a file the repository controls.
PROGRAM_KEYS = re.compile(
    r"^(core\.fsmonitor|core\.pager|pager\..+|diff\.external|diff\..+\.(command|textconv)"
    r"|filter\..+\.(clean|smudge|process)|gpg\.(.+\.)?program|log\.showsignature"
    r"|core\.hookspath|merge\..+\.driver|core\.sshcommand|credential\..*helper"
    r"|core\.alternaterefscommand|uploadpack\.packobjectshook|core\.editor|sequence\.editor)$",
    re.I,
)
HARMLESS = {
    "core.fsmonitor": {"false", "0", "no", "off", ""},
    "log.showsignature": {"false", "0", "no", "off", ""},
}


def user_config_files() -> list[Path]:
    """The configuration files that are the user's own (not the repository's)."""
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [home / ".gitconfig", xdg / "git" / "config", Path("/etc/gitconfig")]


def configured_programs(repo: Any) -> tuple[str | None, list[str]]:
    """(the first key a file the repository controls sets to run a program, else None; every
    file git read the configuration from, includes and worktree files too). The user's own
    files (`~/.gitconfig`, `/etc/gitconfig`) are theirs to trust."""
    listed = repo.git.config("--list", "--show-origin", "-z", strip_newline_in_stdout=False)
    fields = listed.split("\x00")
    own = {os.path.realpath(p) for p in user_config_files()}
    files: list[str] = []
    found: str | None = None
    for origin, entry in zip(fields[0::2], fields[1::2], strict=False):
        key, _, value = entry.partition("\n")
        path = origin.removeprefix("file:") if origin.startswith("file:") else None
        if path is not None:
            path = path if os.path.isabs(path) else os.path.join(repo.working_dir, path)
            if path not in files:
                files.append(path)
        if found is not None or not PROGRAM_KEYS.match(key):
            continue
        if value.strip().lower() in HARMLESS.get(key.lower(), set()):
            continue
        if path is not None and os.path.realpath(path) not in own:
            found = key
    return found, files


def file_value(root: Path, key: str) -> str | None:
    """A key's value as the configuration files set it (not Stitch's own overrides), the last
    one git reads winning; None when no file sets it."""
    repo = open_repo(root)
    if repo is None:
        return None
    found = None
    for origin, name, value in _listing(repo):
        if origin is not None and name.lower() == key.lower():
            found = value
    return found
