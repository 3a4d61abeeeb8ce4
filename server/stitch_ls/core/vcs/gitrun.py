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
- keys named by the repository (`merge.<driver>.driver`, `filter.<name>.clean`, ...) are
  found by listing the configuration (reading, which runs nothing) and each is overridden:
  filters and diff drivers become empty (git then uses the content as it is), a merge driver
  becomes git's own `merge-file`, which is what git does without a driver.

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
)

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


def _config_files(repo: Any) -> tuple[Any, ...]:
    """What the named keys depend on: the repository's config files and the user's."""
    common = Path(repo.common_dir)
    files = [
        common / "config",
        Path(repo.git_dir) / "config.worktree",
        Path.home() / ".gitconfig",
        Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "git" / "config",
    ]
    key: list[Any] = []
    for path in files:
        try:
            stat = path.stat()
            key.append((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            key.append((str(path), None))
    return tuple(key)


def named_keys(repo: Any) -> tuple[str, ...]:
    """Every configuration key git sees for `repo` (reading the config runs nothing)."""
    listed = repo.git.config("--list", "--name-only", "-z", strip_newline_in_stdout=False)
    return tuple(key for key in listed.split("\x00") if key)


def harden(repo: Any) -> Any:
    """Make every later git call on `repo` run with the overrides (kept per config state)."""
    base = environment(list(FIXED))
    _apply(repo, base)
    cache_key = _config_files(repo)
    pairs = _named_cache.get(cache_key)
    if pairs is None:
        pairs = tuple(overrides(named_keys(repo)))
        if len(_named_cache) > 64:
            _named_cache.clear()
        _named_cache[cache_key] = pairs
    _apply(repo, environment(list(pairs)))
    return repo


def _apply(repo: Any, env: dict[str, str]) -> None:
    repo.git.update_environment(**env)


_local = threading.local()


def open_repo(root: Path) -> Any | None:
    """The git repository at `root`, hardened; None when there is none (or git is missing
    or broken). One per thread and root is kept while its configuration stays the same, so
    its long-lived `cat-file` processes serve every blob read (a process per file read
    cost seconds on a large snapshot)."""
    kept: dict[str, tuple[Any, Any]] = _local.__dict__.setdefault("repos", {})
    key = str(root)
    try:
        import git

        found = kept.get(key)
        if found is not None:
            repo, state = found
            if _config_files(repo) == state:
                return repo
            repo.close()
        repo = harden(git.Repo(root))
    except Exception:  # noqa: BLE001 - not a repository, broken, or no git: no streams
        kept.pop(key, None)
        return None
    if len(kept) > 8:
        for old, _ in kept.values():
            old.close()
        kept.clear()
    kept[key] = (repo, _config_files(repo))
    return repo


def config_value(root: Path, key: str) -> str | None:
    """A configuration value as git reads it for the repository at `root` (the user's own
    files where `root` is no repository); None when unset or unreadable. Reading the
    configuration runs nothing."""
    try:
        repo = open_repo(root)
        if repo is not None:
            value = repo.git.config("--get", key, with_exceptions=False)
        else:
            import git

            outside = git.Git(os.path.abspath(os.sep))
            outside.update_environment(**environment(list(FIXED)))
            value = outside.config("--global", "--get", key, with_exceptions=False)
    except Exception:  # noqa: BLE001 - git missing or broken: no value
        return None
    return str(value).strip() or None
