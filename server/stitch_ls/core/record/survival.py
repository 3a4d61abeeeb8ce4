"""Survival: of the AI lines that reached the branch N days ago (1, 7, 30), what share still
stands, was rewritten by a person, was rewritten by an agent, or was reverted.

Computed from git history in one forward pass, not a `git blame` per line and horizon (on a
repository of 20,000 commits that would take minutes). Two git processes stream what is
needed: `git log` lists the commits (topological order, parents first) and `git diff-tree
--stdin` every commit's changes to the files that ever held an AI line, against its first
parent, at `-U0`. Each of those files is then followed through the history as git blame
sees it, forward: every line carries its origin (the commit that wrote it, and its number
there); a commit's added lines get its own origin, a merge's lines that came from its other
parent keep that parent's origin (matched by text against the other parent's version). The
ledger (`ledger`) says which origins are AI lines and whose.

A line *reaches the branch* (HEAD's first-parent history) with the first commit of that
history that contains it, the *landing* commit: itself, or the merge that brought it; it is
born then. Its state at a horizon is read at the last first-parent commit made by then:
present (the same origin still there) is **stands**; otherwise how it went, recorded when a
commit removed it: removed with nothing in its place, or replaced by the text it had itself
replaced, is **reverted**; replaced by lines an agent wrote, **rewritten by an agent**;
else **rewritten** (by a person). A horizon not reached yet is **too early**, never a zero.
Lines rewritten on their stream before the merge count from the landing, already gone.

Known limits, documented in the README: a line moved within a file counts as rewritten (blame
would follow it with -M, this pass does not); a file renamed to a name that never held an AI
line is followed by a second pass.
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stitch_ls.core.files.globs import glob_match
from stitch_ls.core.record import binding
from stitch_ls.core.record.ledger import Author, Ledger, draft_author, trailer_author
from stitch_ls.core.vcs import notes
from stitch_ls.core.vcs.streams import parse_diff

HORIZONS = (1, 7, 30)
FATES = ("stands", "rewritten", "rewritten_by_agent", "reverted")
LINE_BASE = 1 << 24  # an origin is commit index * LINE_BASE + line number
DAY = 86_400
SLACK_DAYS = 30  # commits this long before the window are read too: a stream's older work
DEFAULT_WINDOW_DAYS = 365
MARK = "\x1eCOMMIT "
MAX_PASSES = 3


@dataclass
class CommitInfo:
    sha: str
    parents: list[str]
    time: int  # committer time
    author: str
    subject: str
    trailers: list[tuple[str, str]]


@dataclass
class FileState:
    """One file at one commit: its lines and each line's origin (0: before the window)."""

    texts: list[str]
    origins: list[int]


@dataclass
class LineFate:
    author: int  # index into the ledger's authors
    path: str
    born: int | None  # landing time; None: not on the branch by `now`
    landing: str | None
    stream: str | None = None  # the author's, else the merge that landed it names one
    fates: dict[int, str] = field(default_factory=dict)  # horizon -> one of FATES, "too_early"


@dataclass
class Survival:
    """The pass's answer: one fate per AI line and horizon, and the ledger's authors."""

    lines: list[LineFate]
    authors: list[Author]
    since: datetime
    now: datetime
    branch: str
    commits_read: int
    problems: list[str] = field(default_factory=list)
    landings: dict[str, set[str]] = field(default_factory=dict)  # landing -> streams landed
    # the branch's first-parent history, oldest first: (commit, time, parents, subject)
    chain: list[tuple[str, int, int, str]] = field(default_factory=list)

    def rates(self, key: Callable[[LineFate], str] | None = None) -> dict[str, dict[str, Any]]:
        """Per group (or one group, "all"): per horizon, how many lines and each fate's count
        and share; `too_early` counts the lines whose horizon is still ahead."""
        groups: dict[str, dict[str, Any]] = {}
        for line in self.lines:
            if line.born is None or line.born < self.since.timestamp():
                continue
            name = key(line) if key else "all"
            group = groups.setdefault(name, {str(n): _empty() for n in HORIZONS})
            for n in HORIZONS:
                fate = line.fates.get(n)
                if fate is None:
                    continue
                cell = group[str(n)]
                if fate == "too_early":
                    cell["too_early"] += 1
                else:
                    cell["lines"] += 1
                    cell[fate] += 1
        for group in groups.values():
            for cell in group.values():
                for fate in FATES:
                    cell["share"][fate] = (
                        round(cell[fate] / cell["lines"], 4) if cell["lines"] else None
                    )
        return dict(sorted(groups.items()))

    def as_dict(self, feature_of: Callable[[LineFate], str]) -> dict[str, Any]:
        landed = [x for x in self.lines if x.born is not None]
        return {
            "horizons_days": list(HORIZONS),
            "branch": self.branch,
            "since": self.since.isoformat(),
            "as_of": self.now.isoformat(),
            "ai_lines": sum(
                1 for x in landed if x.born is not None and x.born >= self.since.timestamp()
            ),
            "not_landed": len(self.lines) - len(landed),
            "commits_read": self.commits_read,
            "all": self.rates().get("all", {str(n): _empty() for n in HORIZONS}),
            "by_agent": self.rates(lambda x: self.authors[x.author].agent),
            "by_stream": self.rates(lambda x: x.stream or "(no stream)"),
            "by_feature": self.rates(feature_of),
            "by_door": self.rates(lambda x: self.authors[x.author].door),
            "problems": self.problems,
        }


def _empty() -> dict[str, Any]:
    return {"lines": 0, "too_early": 0, **dict.fromkeys(FATES, 0), "share": {}}


def feature_namer(
    features: dict[str, list[str]], authors: list[Author]
) -> Callable[[LineFate], str]:
    """A line's feature: its stream's (`feature/stream`), else the team's `[features.X] paths`
    that match its file, else "(no feature)"."""

    def name(line: LineFate) -> str:
        found = authors[line.author].feature
        if found:
            return found
        for feature, patterns in sorted(features.items()):
            if any(glob_match(line.path, pattern) for pattern in patterns):
                return feature
        return "(no feature)"

    return name


# -- reading git -------------------------------------------------------------------------------


def list_commits(repo: Any, since: datetime) -> list[CommitInfo]:
    """HEAD's history since `since`, parents before children."""
    out = notes.git(
        repo,
        "log",
        "-z",
        "--topo-order",
        "--reverse",
        f"--since={since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "--format=%H%x1f%P%x1f%ct%x1f%an%x1f%s%x1f%(trailers:only,unfold)",
        "HEAD",
    )
    commits = []
    for record in (out or "").split("\x00"):
        fields = record.strip("\n").split("\x1f", 5)
        if len(fields) != 6 or len(fields[0]) not in (40, 64):
            continue
        trailers = []
        for line in fields[5].splitlines():
            key, colon, value = line.partition(":")
            if colon and key.strip().startswith("Stitch-"):
                trailers.append((key.strip(), value.strip()))
        try:
            time = int(fields[2])
        except ValueError:
            continue
        commits.append(
            CommitInfo(fields[0], fields[1].split(), time, fields[3], fields[4], trailers)
        )
    return commits


def _diff_tree(repo: Any, commits: list[CommitInfo], args: list[str]) -> str:
    """`git diff-tree --stdin ARGS` for each commit against its first parent, the commits
    handed over in a file (one git process however many there are)."""
    fd, name = tempfile.mkstemp(prefix="stitch-commits-", suffix=".txt")
    try:
        with os.fdopen(fd, "w") as handle:
            for commit in commits:
                parent = f" {commit.parents[0]}" if commit.parents else ""
                handle.write(f"{commit.sha}{parent}\n")
        with open(name, "rb") as stdin:
            out = repo.git.execute(
                ["git", "--literal-pathspecs", "diff-tree", "--stdin", *args],
                istream=stdin,
                strip_newline_in_stdout=False,
            )
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    return str(out)


def diffs(repo: Any, commits: list[CommitInfo], paths: set[str]) -> dict[str, str]:
    """Each commit's `-U0` diff of `paths` against its first parent (empty: not touched)."""
    if not paths or not commits:
        return {}
    args = ["-r", "-p", "-U0", "-M", "--root", "--no-color", "--no-ext-diff", "--no-textconv"]
    args += ["--src-prefix=a/", "--dst-prefix=b/", f"--format={MARK}%H", "--", *sorted(paths)]
    found: dict[str, str] = {}
    for chunk in _diff_tree(repo, commits, args).split(MARK)[1:]:
        sha, _, body = chunk.partition("\n")
        found[sha.strip()] = body
    return found


def changed_paths(repo: Any, commits: list[CommitInfo]) -> set[str]:
    """Every file `commits` change against their first parents (one git process)."""
    if not commits:
        return set()
    out = _diff_tree(repo, commits, ["-r", "-z", "--root", "--name-only", "--no-commit-id"])
    return {p for p in out.split("\x00") if p and "\n" not in p}


def renamed_to(repo: Any, parent: str, commit: str, path: str) -> str | None:
    """Where `commit` moved `path` to, if it renamed it (whatever the new name)."""
    out = notes.git(
        repo, "diff-tree", "-r", "-M", "-z", "--name-status", "--no-commit-id", parent, commit
    )
    fields = (out or "").split("\x00")
    i = 0
    while i < len(fields):
        status = fields[i]
        if status.startswith(("R", "C")) and i + 2 < len(fields):
            if fields[i + 1] == path and status.startswith("R"):
                return fields[i + 2]
            i += 3
        else:
            i += 2
    return None


# -- the pass --------------------------------------------------------------------------------


def assess(
    repo: Any,
    ledger: Ledger,
    drafts: list[dict[str, Any]],
    now: datetime,
    since: datetime | None = None,
    merged_stream: Callable[[str], str | None] | None = None,
) -> Survival:
    """Every AI line that reached HEAD's first-parent history since `since` (default: a year
    before `now`), and its fate at each horizon. `merged_stream` names the stream a merge
    commit's subject merged (for lines whose author names none)."""
    since = since or now - timedelta(days=DEFAULT_WINDOW_DAYS)
    head = notes.git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    listed = list_commits(repo, since - timedelta(days=SLACK_DAYS))
    extra: set[str] = set()
    result = None
    for _ in range(MAX_PASSES):
        result = _Pass(repo, ledger, drafts, listed, now, extra, merged_stream).run()
        if not result.renamed - extra:
            break
        extra |= result.renamed
    assert result is not None
    return Survival(
        result.lines,
        ledger.authors,
        since,
        now,
        (head or "HEAD").strip(),
        result.commits_read,
        [*ledger.problems, *result.problems],
        result.landings,
        result.chain,
    )


@dataclass
class _Result:
    lines: list[LineFate]
    renamed: set[str]
    problems: list[str]
    landings: dict[str, set[str]]
    commits_read: int
    chain: list[tuple[str, int, int, str]]


@dataclass
class _Run:
    """A hunk's removed lines and where its added lines went in the new version."""

    gone_origins: list[int]
    gone_texts: list[str]
    new_lo: int  # 0-based, in the new version
    new_hi: int


class _Pass:
    """One walk of the history (the module docstring says how)."""

    def __init__(
        self,
        repo: Any,
        ledger: Ledger,
        drafts: list[dict[str, Any]],
        listed: list[CommitInfo],
        now: datetime,
        extra_paths: set[str],
        merged_stream: Callable[[str], str | None] | None,
    ) -> None:
        self.repo = repo
        self.ledger = ledger
        self.now = now.timestamp()
        self.merged_stream = merged_stream
        self.commits = [c for c in listed if c.time <= self.now]  # `--as-of` a past moment
        self.by_sha = {c.sha: c for c in self.commits}
        self.index = {c.sha: i + 1 for i, c in enumerate(self.commits)}  # 0: before the window
        self.drafts = sorted(
            (d for d in drafts if str(d.get("draft")) not in ledger.drafts_in_notes),
            key=lambda d: d["_at"],
        )
        self.trailer_commits = {
            c.sha for c in self.commits if c.trailers and c.sha not in ledger.commits
        }
        paths = set(extra_paths)
        for commit in self.commits:
            paths.update(ledger.commits.get(commit.sha, {}))
        for entry in self.drafts:
            paths.update(entry["_ranges"])
        trailers = [self.by_sha[sha] for sha in self.trailer_commits]
        paths.update(changed_paths(repo, trailers))
        self.paths = paths
        self.renamed: set[str] = set()  # names outside `paths` files were renamed to
        self.moved: dict[str, str] = {}  # a file's old name -> its new one, as renames happen
        self.problems: list[str] = []
        self._chain(listed)

    def _chain(self, listed: list[CommitInfo]) -> None:
        """HEAD's first-parent history (from its last commit made by `now`), each commit's
        landing commit, and monotonic times for the horizon lookup (clock skew happens)."""
        every = {c.sha: c for c in listed}
        head = notes.git(self.repo, "rev-parse", "--verify", "-q", "HEAD")
        cur: str | None = head.strip() if head else None
        chain: list[str] = []
        while cur is not None and cur in every:
            if cur in self.by_sha:
                chain.append(cur)
            parents = every[cur].parents
            cur = parents[0] if parents else None
        chain.reverse()
        self.chain = chain
        self.chain_pos = {sha: i for i, sha in enumerate(chain)}
        peak = 0
        self.chain_times: list[int] = []
        for sha in chain:
            peak = max(peak, self.by_sha[sha].time)
            self.chain_times.append(peak)
        landing: dict[str, str] = {}
        for sha in chain:
            landing[sha] = sha
            stack = list(self.by_sha[sha].parents[1:])
            while stack:
                other = stack.pop()
                if other in landing or other not in self.by_sha:
                    continue
                landing[other] = sha
                stack.extend(self.by_sha[other].parents)
        self.landing = landing

    def _load(self, commit: str | None, path: str) -> FileState:
        if commit is None:
            return FileState([], [])
        lines = notes.file_lines(self.repo, commit, path) or []
        return FileState(lines, [0] * len(lines))

    def run(self) -> _Result:
        children: dict[str, int] = {}
        for commit in self.commits:
            for parent in commit.parents:
                children[parent] = children.get(parent, 0) + 1
        patches = diffs(self.repo, self.commits, self.paths)
        self.states: dict[str, dict[str, FileState]] = {}
        self.ai: dict[int, int] = {}  # AI origin -> author index
        self.before: dict[int, frozenset[str]] = {}  # AI origin -> the text its hunk replaced
        self.deaths: dict[int, tuple[str, bool]] = {}  # origin -> (fate, on the branch)
        fates: dict[int, LineFate] = {}
        due: dict[str, list[tuple[int, int]]] = {}  # horizon commit -> (origin, horizon)
        landings: dict[str, set[str]] = {}

        for commit in self.commits:
            i = self.index[commit.sha]
            on_chain = commit.sha in self.chain_pos
            first = commit.parents[0] if commit.parents else None
            if first in self.states and children.get(first) == 1:  # its only child: take it
                state = self.states[first]
            else:
                state = dict(self.states.get(first, {})) if first in self.states else {}
            own: dict[str, set[int]] = {}
            befores: dict[str, dict[int, frozenset[str]]] = {}
            for file in parse_diff(patches.get(commit.sha, "")):
                self._file(commit, i, first, file, state, on_chain, own, befores)
            self.states[commit.sha] = state
            for parent in commit.parents:  # a parent's state is dropped with its last child
                if parent in children:
                    children[parent] -= 1
                    if children[parent] == 0:
                        self.states.pop(parent, None)

            for path, lines in self._mark(commit, i, own).items():
                landing = self.landing.get(commit.sha)
                land_pos = self.chain_pos.get(landing) if landing else None
                for number, author in lines.items():
                    origin = i * LINE_BASE + number
                    self.ai[origin] = author
                    self.before[origin] = befores.get(path, {}).get(number, frozenset())
                    stream = self.ledger.authors[author].stream
                    if stream is None and landing and landing != commit.sha and self.merged_stream:
                        stream = self.merged_stream(self.by_sha[landing].subject)
                    line = fates[origin] = LineFate(author, path, None, landing, stream)
                    if landing is None or land_pos is None:
                        continue  # not on the branch by `now`
                    line.born = self.by_sha[landing].time
                    landings.setdefault(landing, set()).add(stream or "")
                    for n in HORIZONS:
                        moment = line.born + n * DAY
                        if moment > self.now:
                            line.fates[n] = "too_early"
                            continue
                        at = max(land_pos, bisect.bisect_right(self.chain_times, moment) - 1)
                        due.setdefault(self.chain[at], []).append((origin, n))

            if on_chain and commit.sha in due:
                present: dict[str, set[int]] = {}
                for origin, n in due.pop(commit.sha):
                    line = fates[origin]
                    if self._present(state, line.path, origin, present):
                        line.fates[n] = "stands"
                    else:
                        line.fates[n] = self.deaths.get(origin, ("rewritten", False))[0]
            if children.get(commit.sha, 0) == 0:
                self.states.pop(commit.sha, None)
        chain = [
            (sha, self.by_sha[sha].time, len(self.by_sha[sha].parents), self.by_sha[sha].subject)
            for sha in self.chain
        ]
        return _Result(
            list(fates.values()), self.renamed, self.problems, landings, len(self.commits), chain
        )

    def _present(
        self, state: dict[str, FileState], path: str, origin: int, present: dict[str, set[int]]
    ) -> bool:
        """Whether the origin stands in the file (or in the file it was renamed to)."""
        names = [path]
        while names[-1] in self.moved and len(names) < 32:
            names.append(self.moved[names[-1]])
        for name in names:
            here = present.get(name)
            if here is None:
                found = state.get(name)
                here = present[name] = set(found.origins) if found else set()
            if origin in here:
                return True
        return False

    def _file(
        self,
        commit: CommitInfo,
        i: int,
        first: str | None,
        file: Any,
        state: dict[str, FileState],
        on_chain: bool,
        own: dict[str, set[int]],
        befores: dict[str, dict[int, frozenset[str]]],
    ) -> None:
        """One file's change in one commit: its new state, the lines it removed (and how),
        and the commit's own new lines."""
        old_path, new_path = file.old_path, file.new_path
        parent: FileState | None = state.get(old_path) if old_path else None
        if parent is None:
            parent = self._load(first, old_path) if old_path else FileState([], [])
        if old_path and old_path != new_path:
            state.pop(old_path, None)
            if new_path is not None:
                self.moved[old_path] = new_path
        if new_path is None:  # deleted, or renamed to a name the pass does not read yet
            target = renamed_to(self.repo, first, commit.sha, old_path) if first else None
            if target is not None and target not in self.paths:
                self.renamed.add(target)
                return
            for origin in parent.origins:
                if origin in self.ai:
                    self._die(origin, "reverted", on_chain)
            return
        if file.binary:
            state.pop(new_path, None)
            return
        texts: list[str] = []
        origins: list[int] = []
        runs: list[_Run] = []
        pos = 0
        base = i * LINE_BASE
        for hunk in file.hunks:
            lo, hi = max(hunk.old_lo, pos), hunk.old_hi
            texts.extend(parent.texts[pos:lo])
            origins.extend(parent.origins[pos:lo])
            start = len(texts)
            for line in hunk.lines:
                if line.startswith("+"):
                    texts.append(line[1:])
                    origins.append(base + len(texts))
            runs.append(_Run(parent.origins[lo:hi], parent.texts[lo:hi], start, len(texts)))
            pos = max(pos, hi)
        texts.extend(parent.texts[pos:])
        origins.extend(parent.origins[pos:])
        added = [j for run in runs for j in range(run.new_lo, run.new_hi)]
        for other in commit.parents[1:]:  # a merge: what its other parents wrote keeps its origin
            if not added:
                break
            theirs = self.states.get(other, {}).get(new_path) or self._load(other, new_path)
            if not theirs.texts:
                continue
            wanted = set(added)
            matcher = difflib.SequenceMatcher(a=theirs.texts, b=texts, autojunk=False)
            for block in matcher.get_matching_blocks():
                for k in range(block.size):
                    j = block.b + k
                    if j in wanted and origins[j] == base + j + 1:
                        origins[j] = theirs.origins[block.a + k]
        for run in runs:
            dying = [o for o in run.gone_origins if o in self.ai]
            if not dying:
                continue
            replacement = [t.strip() for t in texts[run.new_lo : run.new_hi] if t.strip()]
            if not replacement:
                fate = "reverted"
            else:
                was = frozenset().union(*(self.before.get(o, frozenset()) for o in dying))
                if was and all(t in was for t in replacement):
                    fate = "reverted"
                elif any(
                    o in self.ai or self._agent_line(commit, new_path, o - base)
                    for o in origins[run.new_lo : run.new_hi]
                ):
                    fate = "rewritten_by_agent"
                else:
                    fate = "rewritten"
            for origin in dying:
                self._die(origin, fate, on_chain)
        mine = {j + 1 for j in added if origins[j] == base + j + 1}
        if mine:
            own[new_path] = mine
            befores[new_path] = {
                j + 1: frozenset(t.strip() for t in run.gone_texts if t.strip())
                for run in runs
                for j in range(run.new_lo, run.new_hi)
            }
        state[new_path] = FileState(texts, origins)

    def _agent_line(self, commit: CommitInfo, path: str, number: int) -> bool:
        """Whether a line this commit adds is an agent's (before `_mark` has run)."""
        if not 0 < number < LINE_BASE:
            return False
        if number in self.ledger.commits.get(commit.sha, {}).get(path, {}):
            return True
        return commit.sha in self.trailer_commits

    def _die(self, origin: int, fate: str, on_chain: bool) -> None:
        known = self.deaths.get(origin)
        if known is None or (on_chain and not known[1]):
            self.deaths[origin] = (fate, on_chain)

    def _mark(
        self, commit: CommitInfo, i: int, own: dict[str, set[int]]
    ) -> dict[str, dict[int, int]]:
        """Which of the commit's own new lines are AI lines, and whose: its note's, all of an
        agent commit's, and those of a draft applied before it."""
        out: dict[str, dict[int, int]] = {}
        noted = self.ledger.commits.get(commit.sha, {})
        for path, numbers in own.items():
            for number in numbers & set(noted.get(path, {})):
                out.setdefault(path, {})[number] = noted[path][number]
        if commit.sha in self.trailer_commits:
            landing = self.landing.get(commit.sha)
            stream = (
                self.merged_stream(self.by_sha[landing].subject)
                if self.merged_stream and landing and landing != commit.sha
                else None
            )
            author = trailer_author(commit.trailers, commit.author, stream)
            if author is not None:
                index = self.ledger.author_index(author)
                for path, numbers in own.items():
                    for number in numbers:
                        out.setdefault(path, {}).setdefault(number, index)
        for entry in list(self.drafts):
            if entry["_at"].timestamp() > commit.time + 1:
                break
            lines: dict[str, set[int]] = {}
            for path, spans in entry["_ranges"].items():
                if path in own:
                    found = binding.draft_lines(dict.fromkeys(own[path], ""), spans)
                    found -= set(out.get(path, {}))
                    if found:
                        lines[path] = found
            if not lines:
                continue
            self.drafts.remove(entry)
            index = self.ledger.author_index(draft_author(entry))
            for path, numbers in lines.items():
                for number in numbers:
                    out.setdefault(path, {})[number] = index
        return out
