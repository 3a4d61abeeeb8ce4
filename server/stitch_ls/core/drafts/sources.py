"""Sources checked, not trusted: what each cited source turns out to be when a draft is read.

An agent's source list is its word. What can be checked cheaply and without running anything
is checked here: a workspace path (with a Markdown heading `#anchor`, a `:line` or
`:start-end`, or a pytest `::name`) exists, or is missing; a `commit` is looked up in the
repository (through the hardened runner); an http(s) URL is `external` and never fetched; the
rest (a ticket id, a dashboard without a path, a person) is `unverifiable` and said to be.

Files are read at most once per change (kept by their stat), so a recheck of every draft's
sources after a file event costs a `stat` per cited path.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from stitch_ls.core.files.fsio import read_inside
from stitch_ls.core.files.paths import check_relative_path, resolve_inside
from stitch_ls.core.vcs.gitrun import open_repo

if TYPE_CHECKING:
    from stitch_ls.core.drafts.model import Draft, Source

Status = Literal["checked", "missing", "external", "unverifiable"]
MAX_CITED_BYTES = 5 * 1024 * 1024

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_URL = re.compile(r"^https?://", re.I)
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_LINES = re.compile(r"^(.*?):(\d{1,9})(?:-(\d{1,9}))?$")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,12}$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MARKDOWN = (".md", ".markdown", ".mdx")


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """One source's status, and in a few words why."""

    status: Status
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SourceReport:
    """Every source of one draft, checked (in the draft's order), and the tests its evidence
    names (`evidence`, in the evidence's order): a test that is nowhere to be found is
    `missing`, and a claim about it counts for nothing."""

    checks: tuple[SourceCheck, ...] = ()
    evidence: tuple[SourceCheck, ...] = ()

    @property
    def evidence_missing(self) -> list[int]:
        """The positions of the evidence whose test does not exist."""
        return [n for n, c in enumerate(self.evidence) if c.status == "missing"]

    @property
    def count(self) -> int:
        return len(self.checks)

    @property
    def missing(self) -> int:
        return sum(1 for c in self.checks if c.status == "missing")

    @property
    def all_missing(self) -> bool:
        """Cited sources, every one of them missing: as good as none."""
        return bool(self.checks) and self.missing == len(self.checks)

    def summary(self) -> str:
        """`3 sources (1 missing)`, `1 source`, `0 sources`."""
        noun = "source" if self.count == 1 else "sources"
        text = f"{self.count} {noun}"
        return f"{text} ({self.missing} missing)" if self.missing else text


HUMAN = "human"


def agent_sources(
    draft: Draft, report: SourceReport | None
) -> list[tuple[Source, SourceCheck | None]]:
    """The draft's sources with their checks, without any of kind `human`: a human's word
    counts only from the engineer's own record (`State.vouches`), never from a draft file an
    agent wrote."""
    checks: list[SourceCheck | None] = list(report.checks) if report is not None else []
    checks += [None] * (len(draft.sources) - len(checks))
    return [(s, c) for s, c in zip(draft.sources, checks, strict=False) if s.kind != HUMAN]


def unsourced(draft: Draft, report: SourceReport | None) -> bool:
    """No sources, or every cited source missing (DESIGN.md, gate row 7); a `human` source
    in the draft itself is not a source."""
    cited = agent_sources(draft, report)
    return not cited or all(c is not None and c.status == "missing" for _, c in cited)


def split_ref(ref: str) -> tuple[str, str | None, tuple[int, int] | None, str | None]:
    """A path-like ref as (path, heading anchor, 1-based line range, pytest name)."""
    test = None
    if "::" in ref:
        ref, _, test = ref.partition("::")
        test = test.split("::")[-1].split("[")[0] or None
    anchor = None
    if "#" in ref:
        ref, _, anchor = ref.partition("#")
    lines = None
    match = _LINES.match(ref)
    if match:
        first = int(match.group(2))
        last = int(match.group(3)) if match.group(3) else first
        ref, lines = match.group(1), (first, last)
    return ref, anchor, lines, test


def looks_like_path(ref: str) -> bool:
    """A ref that names a file: a slash or a file extension, no spaces, no scheme."""
    if not ref or any(ch.isspace() for ch in ref) or _SCHEME.match(ref):
        return False
    return "/" in ref or bool(_EXTENSION.search(ref))


def heading_slugs(text: str) -> set[str]:
    """GitHub's anchors for a Markdown file's headings (`## Rate limits` → `rate-limits`;
    a repeated heading gets `-1`, `-2`, ...); headings inside fenced code do not count."""
    slugs: set[str] = set()
    seen: dict[str, int] = {}
    fence: str | None = None
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if opened:
            mark = opened.group(1)
            if fence is None:
                fence = mark[0]
            elif mark[0] == fence:
                fence = None
            continue
        if fence is not None:
            continue
        heading = _HEADING.match(line)
        if not heading:
            continue
        slug = slugify(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else f"{slug}-{count}")
    return slugs


def slugify(title: str) -> str:
    title = re.sub(r"[`*_]|<[^>]*>", "", title.strip().lower())
    title = re.sub(r"[^\w\- ]", "", title)
    return title.replace(" ", "-")


def _defines(text: str, test: str) -> bool:
    """Whether `text` defines a test (a function or class) named `test`."""
    return bool(re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(test)}\b", text, re.M))


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class SourceChecker:
    """Checks one workspace's sources; cited files are kept by stat, found commits for good.
    Safe to share between threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, tuple[tuple[int, int, int], str | None]] = {}
        self._commits: set[str] = set()
        self._lock = threading.Lock()
        self._cited: dict[str, tuple[int, int, int] | None] = {}  # path -> stat when checked
        self._blobs: dict[str, str | None] = {}  # "commit:path" -> its text (commits never change)

    def cited_files_moved(self) -> bool:
        """Whether any file a check looked at came, went or changed since it was checked: a
        few hundred `stat`s, so a recheck of every draft runs only when it can matter."""
        cited = list(self._cited.items())
        return any(_stat_key(self.root / path) != key for path, key in cited)

    def report(self, draft: Draft, base: str | None = None) -> SourceReport:
        """The draft's sources and the tests its evidence names, checked; `base`: the commit
        an agent commit's draft comes from (its tests may live only there)."""
        return SourceReport(
            tuple(self.check(source) for source in draft.sources),
            tuple(self.check_evidence(item.ref, draft, base) for item in draft.evidence),
        )

    def check_evidence(self, ref: str, draft: Draft, base: str | None = None) -> SourceCheck:
        """Where the test an evidence item names is: in the workspace, in the draft's own
        change (a test file it creates or edits), or at `base` (an agent commit's tree);
        `missing` when it is in none of them, `unverifiable` when the ref names no file (a
        CI job, a command)."""
        ref = ref.strip()
        if _URL.match(ref):
            return SourceCheck("external", "a web address: not fetched")
        path_part = ref.partition("::")[0]
        if not looks_like_path(path_part):
            return SourceCheck("unverifiable", "not a test path Stitch can look up")
        found = self._path(ref)
        if found.status == "checked":
            return found
        path, _, _, test = split_ref(ref)
        for edit in draft.edits:
            if edit.path == path and edit.text and (test is None or _defines(edit.text, test)):
                return SourceCheck("checked", f"{path} (in the draft)")
        if base is not None:
            text = self._blob(base, path)
            if text is not None and (test is None or _defines(text, test)):
                return SourceCheck("checked", f"{path} at {base[:10]}")
        return found

    def check(self, source: Source) -> SourceCheck:
        ref = source.ref.strip()
        kind = source.kind.strip().lower()
        if _URL.match(ref):
            return SourceCheck("external", "a web address: not fetched")
        if kind == "commit" and _SHA.match(ref):
            return self._commit(ref)
        if looks_like_path(ref):
            return self._path(ref)
        if kind == "commit":
            return SourceCheck("missing", "not a commit id")
        return SourceCheck("unverifiable", f"a {kind} reference Stitch cannot check")

    # -- workspace paths ---------------------------------------------------------------------

    def _path(self, ref: str) -> SourceCheck:
        path, anchor, lines, test = split_ref(ref)
        try:
            path = check_relative_path(path)
        except ValueError as exc:
            return SourceCheck("missing", str(exc))
        text = self._text(path)
        if text is None:
            return SourceCheck("missing", f"{path} does not exist")
        if lines is not None:
            count = len(text.splitlines())
            first, last = lines
            if not 1 <= first <= last <= count:
                return SourceCheck("missing", f"{path} has {count} lines, not {first}-{last}")
        if anchor and path.lower().endswith(_MARKDOWN) and anchor not in heading_slugs(text):
            return SourceCheck("missing", f"{path} has no heading #{anchor}")
        if test and not _defines(text, test):
            return SourceCheck("missing", f"{path} defines no {test}")
        return SourceCheck("checked", path)

    def _text(self, path: str) -> str | None:
        """The file's text, or None when it is missing or unreadable (a folder counts as
        present: its text is empty)."""
        seen = self._cited[path] = _stat_key(self.root / path)
        if seen is None:  # nothing there (or unreadable), whatever the links on the way
            return None
        with self._lock:
            cached = self._files.get(path)
        if seen is not None and cached is not None and cached[0] == seen:
            # the very file (inode, size, time) read and found inside before: through a
            # changed link it would be the same file, so nothing new could be read
            return cached[1]
        try:
            target = resolve_inside(self.root, path)
            info = target.stat()
        except (OSError, ValueError):
            return None
        key = (info.st_mtime_ns, info.st_size, info.st_ino)
        if cached is not None and cached[0] == key:
            return cached[1]
        if target.is_dir():
            text: str | None = ""
        else:
            try:
                text = read_inside(self.root, path, MAX_CITED_BYTES)
            except ValueError:  # too big or not UTF-8: it exists, its lines are not checked
                text = ""
            except OSError:
                text = None
        with self._lock:
            if len(self._files) > 4096:
                self._files.clear()
            self._files[path] = (key, text)
        return text

    def _blob(self, commit: str, path: str) -> str | None:
        """`path` as `commit` holds it (through the hardened runner), or None."""
        key = f"{commit}:{path}"
        with self._lock:
            if key in self._blobs:
                return self._blobs[key]
        text: str | None = None
        repo = open_repo(self.root)
        if repo is not None and _SHA.match(commit):
            try:
                size = int(repo.git.cat_file("-s", key))
                if size <= MAX_CITED_BYTES:
                    text = str(repo.git.cat_file("blob", key, strip_newline_in_stdout=False))
            except Exception:  # noqa: BLE001 - not in that commit (or no such commit)
                text = None
        with self._lock:
            if len(self._blobs) > 4096:
                self._blobs.clear()
            self._blobs[key] = text
        return text

    # -- commits -----------------------------------------------------------------------------

    def _commit(self, sha: str) -> SourceCheck:
        sha = sha.lower()
        with self._lock:
            if sha in self._commits:
                return SourceCheck("checked", f"commit {sha[:12]}")
        repo = open_repo(self.root)
        if repo is None:
            return SourceCheck("unverifiable", "no git repository to look the commit up in")
        try:
            repo.git.cat_file("-e", f"{sha}^{{commit}}")
        except Exception:  # noqa: BLE001 - git says no (or cannot say): not there
            return SourceCheck("missing", f"no commit {sha[:12]} in this repository")
        with self._lock:
            self._commits.add(sha)
        return SourceCheck("checked", f"commit {sha[:12]}")
