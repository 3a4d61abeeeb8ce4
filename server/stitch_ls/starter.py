"""What `stitch-ls init` writes so a repository is set up in one command: a commented starter
team file, `.stitch/.gitignore` for everything local, and the union-merge line that lets two
branches' source-log entries merge without a conflict. Every step is idempotent and says what
it did (or that there was nothing to do)."""

from __future__ import annotations

from pathlib import Path

from stitch_ls.core.files.fsio import atomic_write

STARTER_CONFIG = """\
# Stitch team policy: committed, read from the base branch, validated live in the editor.
# Every key is optional; `stitch-ls schema config` prints the JSON Schema.

[agents]
confidence_floor = 0.65                 # drafts below it are shown disabled
irreversible_paths = []                 # e.g. ["migrations/**", "**/*.sql"]
read_only = false                       # true holds agents read-only for everyone
# irreversible drafts need test evidence: "verified" (the tests run here: `stitch-ls verify`)
# wherever [evidence] below names a command, else "claimed" (the agent's own word that they
# passed). Choosing "claimed" with a command lets an agent attest for itself:
# irreversible_requires = "claimed"

[trust]
unsourced_per_hour = 3                  # each agent's, per hour of development (minutes with edits)
on_exhausted = "raise_floor"            # or "read_only": past its budget, that agent's drafts
scrutiny_raise = 0.15
# team_per_hour = 8                     # every agent's together; past it, every agent's drafts

[quiet_hours]
# timezone = "Europe/Kyiv"              # default: the engineer's zone
engineers_may_remove = false
# [[quiet_hours.windows]]
# days = ["mon", "tue", "wed", "thu", "fri"]
# start = "09:30"
# end = "11:30"                         # an end before the start crosses midnight

[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"
max_per_feature = 2
# an agent's edit of lines another stream (or your buffer) changed: "warn" (the edit goes on,
# with a message naming the other stream), "ask" (the agent asks you first) or "deny"
on_collision = "warn"

# [features.checkout]
# stitch_owner = "lead@example.com"
# paths = ["src/checkout/**"]

# [evidence]                            # what `stitch-ls verify ID` runs (argv, no shell)
# command = ["pytest", "-q", "{refs}"]  # {refs}: one argument per test ref of the draft
# timeout_s = 600
# env = ["DATABASE_URL"]                # passed to the tests besides PATH, HOME, locale, ...

# [stitch_points]
# signing = "ssh"                       # sign-offs signed with git's SSH signing key

# [outcomes.services]                   # `report --signals`: each service and its paths
# payments = ["src/payments/**"]
"""

# Everything under .stitch/ that is one machine's: agents' drafts and questions, and files
# older versions kept here before they moved to the per-user state folder.
GITIGNORE_LINES = (
    "drafts/",
    "prompts/",
    "state.json",
    ".lock",
    ".apply.lock",
    "*.tmp",
)
GITIGNORE = (
    "# Local to this machine (written by `stitch-ls init`); config.toml, source-log.jsonl,\n"
    "# signoffs.jsonl and allowed_signers are shared.\n" + "\n".join(GITIGNORE_LINES) + "\n"
)
UNION_LINE = ".stitch/source-log.jsonl merge=union"


def init_workspace(root: Path) -> list[str]:
    """Set `root` up; one line per file saying what was done."""
    said = [
        _write_once(root / ".stitch" / "config.toml", STARTER_CONFIG, "a starter team file"),
        _lines_present(root / ".stitch" / ".gitignore", GITIGNORE, GITIGNORE_LINES, "local files"),
        _lines_present(
            root / ".gitattributes",
            UNION_LINE + "\n",
            (UNION_LINE,),
            "union merge of the source log",
        ),
    ]
    return said


def _shown(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name == ".stitch" else path.name


def _write_once(path: Path, text: str, what: str) -> str:
    if path.exists():
        return f"{_shown(path)}: kept as it is"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return f"{_shown(path)}: created ({what})"


def _lines_present(path: Path, fresh: str, lines: tuple[str, ...], what: str) -> str:
    """Create `path` with `fresh`, or append the lines it lacks (keeping what is there)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, fresh)
        return f"{_shown(path)}: created ({what})"
    current = path.read_text(encoding="utf-8")
    have = {line.strip() for line in current.splitlines()}
    missing = [line for line in lines if line not in have]
    if not missing:
        return f"{_shown(path)}: already set up"
    joined = ("" if not current or current.endswith("\n") else "\n") + "\n".join(missing) + "\n"
    atomic_write(path, current + joined)
    return f"{_shown(path)}: added {', '.join(missing)}"
