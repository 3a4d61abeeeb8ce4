"""Planted bugs: careless changes to the code Stitch's promises rest on, each applied alone to a
scratch copy of the working tree, and the tests that should notice it run against it.

    .venv/bin/python benchmarks/planted/run.py [--only NAME ...] [--area AREA ...] [--jobs N]
                                               [--no-baseline] [--check]

`bugs.toml` lists the bugs: for each, its patch (a `git diff` of the source, beside this file),
its area, what it breaks and the tests to run. Each bug gets a fresh copy of the working tree
(tracked and new files, as they are now) in a temporary folder, the patch is applied there with
`git apply`, and the listed tests run with this virtualenv's pytest (`-x -q -p no:cacheprovider
--timeout 120`). A bug is caught when a test fails, survived when all pass. The real tree is
never written: every patch is applied to a copy, and an interrupted run (Ctrl-C, SIGTERM,
SIGHUP) ends the tests it started and removes its temporary folder.

The tests start Stitch as agents and editors do (`stitch-ls`, `python -m stitch_ls`, the
isolated indexer `python -I`), so each job gets a small virtualenv of its own whose import path
is its scratch copy's `server/` (the dependencies come from this virtualenv's site-packages):
every process a test starts runs the planted code.

Before planting, every patch is checked to apply (`git apply --check`) and every listed test
file to exist; then the listed tests run once on the unchanged copy (`--no-baseline` skips it):
a test that fails without the bug would make every bug it guards look caught. `--check` stops
after those checks.

It prints a line per bug as it finishes, then a table (patch, area, the first failing test or
SURVIVED), each area's count and the kill rate. Exit status: 0, whatever survived; 2 when a
patch no longer applies, a listed test cannot be found, or the baseline is red (the check
itself needs mending); 130 when interrupted. Not part of CI: the full run takes tens of minutes
(docs/testing.md, "Planted bugs").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider", "--timeout", "120")
BUG_TIMEOUT_S = 30 * 60  # one bug's tests, all together: a hang is a failure of the check


@dataclass(frozen=True)
class Bug:
    name: str  # the patch's file name without `.patch`
    area: str
    breaks: str
    tests: tuple[str, ...]

    @property
    def patch(self) -> Path:
        return HERE / f"{self.name}.patch"


@dataclass(frozen=True)
class Outcome:
    bug: Bug
    verdict: str  # "caught", "survived", "does not apply", "error"
    detail: str  # the first failing test, or what went wrong
    seconds: float


def load_bugs() -> list[Bug]:
    """The manifest, checked against the patches beside it (each listed once, none unlisted)."""
    data = tomllib.loads((HERE / "bugs.toml").read_text(encoding="utf-8"))
    bugs = [
        Bug(entry["name"], entry["area"], entry["breaks"], tuple(entry["tests"]))
        for entry in data["bug"]
    ]
    names = [bug.name for bug in bugs]
    repeated = sorted(name for name, n in Counter(names).items() if n > 1)
    unlisted = sorted(p.stem for p in HERE.glob("*.patch") if p.stem not in names)
    missing = sorted(bug.name for bug in bugs if not bug.patch.is_file())
    problems = [
        *(f"listed twice in bugs.toml: {name}" for name in repeated),
        *(f"a patch bugs.toml does not list: {name}.patch" for name in unlisted),
        *(f"listed in bugs.toml without a patch: {name}" for name in missing),
        *(f"no tests listed for {bug.name}" for bug in bugs if not bug.tests),
    ]
    if problems:
        sys.exit("\n".join(problems))
    return bugs


def selected(bugs: list[Bug], only: list[str], areas: list[str]) -> list[Bug]:
    """`--only` by name or by its number (`07`), `--area` by area; both narrow."""
    chosen = bugs
    if only:
        chosen = [b for b in chosen if b.name in only or b.name.split("-", 1)[0] in only]
    if areas:
        chosen = [b for b in chosen if b.area in areas]
    if not chosen:
        known = sorted({b.area for b in bugs})
        sys.exit(f"no planted bug matches (areas: {', '.join(known)})")
    return chosen


# -- scratch copies ---------------------------------------------------------------------------


def copy_working_tree(target: Path) -> None:
    """Every file git tracks or would add (ignored ones aside), as it is in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    for name in sorted({n for n in listed.decode("utf-8", "surrogateescape").split("\0") if n}):
        source = REPO / name
        if not os.path.lexists(source):  # deleted in the working tree
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)


def make_venv(slot: Path) -> Path:
    """A virtualenv whose `stitch_ls` is `slot/tree/server`, everything else this one's."""
    venv = slot / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    # .pth files are read in name order: the planted package first, then the dependencies
    (Path(site) / "00-stitch-planted.pth").write_text(f"{slot / 'tree' / 'server'}\n")
    (Path(site) / "zz-dependencies.pth").write_text(f"{ours}\n")
    script = venv / "bin" / "stitch-ls"
    script.write_text(f"#!{python}\nimport sys\nfrom stitch_ls.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return python


def fresh_tree(pristine: Path, slot: Path) -> Path:
    tree = slot / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(pristine, tree, symlinks=True)
    return tree


# -- running ----------------------------------------------------------------------------------

RUNNING: set[subprocess.Popen[str]] = set()  # the tests running now, ended if we are interrupted
RUNNING_LOCK = threading.Lock()
STOPPING = threading.Event()


def end_running() -> None:
    """End every test run started (each its whole process group: the servers and indexers the
    tests started) and start no more."""
    STOPPING.set()
    with RUNNING_LOCK:
        for process in RUNNING:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)


def pytest(python: Path, tree: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    """The tests' exit status and output; a run over BUG_TIMEOUT_S is ended, its whole
    process group with it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    with RUNNING_LOCK:
        if STOPPING.is_set():
            return -2, "(interrupted)"
        process = subprocess.Popen(
            [str(python), "-m", "pytest", *PYTEST_ARGS, *tests],
            cwd=tree,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        RUNNING.add(process)
    try:
        out, _ = process.communicate(timeout=BUG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        return -1, out + f"\n(ended after {BUG_TIMEOUT_S} s)"
    finally:
        with RUNNING_LOCK:
            RUNNING.discard(process)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # a server a test left behind
    if STOPPING.is_set():
        return -2, "(interrupted)"
    return process.returncode, out


def first_failure(output: str) -> str:
    found = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", output, re.MULTILINE)
    return found.group(1) if found else "(no test named; see the output)"


def judge(code: int, output: str) -> tuple[str, str]:
    if code == 0:
        return "survived", ""
    if code == 1:
        return "caught", first_failure(output)
    if code == -1:
        return "caught", "the tests did not finish (a hang)"
    if code == -2:
        return "interrupted", ""
    tail = " | ".join(line for line in output.strip().splitlines()[-3:])
    return "error", f"pytest exited {code}: {tail}"


def plant(bug: Bug, pristine: Path, slots: Queue[tuple[Path, Path]]) -> Outcome:
    slot, python = slots.get()
    started = time.monotonic()
    try:
        if STOPPING.is_set():
            return Outcome(bug, "interrupted", "", 0.0)
        tree = fresh_tree(pristine, slot)
        applied = subprocess.run(
            ["git", "apply", str(bug.patch)], cwd=tree, capture_output=True, text=True
        )
        if applied.returncode != 0:
            why = applied.stderr.strip().splitlines()
            return Outcome(bug, "does not apply", why[0] if why else "", 0.0)
        code, output = pytest(python, tree, bug.tests)
        verdict, detail = judge(code, output)
        return Outcome(bug, verdict, detail, time.monotonic() - started)
    finally:
        slots.put((slot, python))


def preflight(bugs: list[Bug], pristine: Path) -> list[str]:
    """What would make the run meaningless: a patch that does not apply to the tree as it is
    now, a listed test file that does not exist."""
    problems = []
    for bug in bugs:
        checked = subprocess.run(
            ["git", "apply", "--check", str(bug.patch)],
            cwd=pristine,
            capture_output=True,
            text=True,
        )
        if checked.returncode != 0:
            why = checked.stderr.strip().splitlines()
            problems.append(f"does not apply: {bug.name}: {why[0] if why else ''}")
        for test in bug.tests:
            if not (pristine / test.split("::", 1)[0]).is_file():
                problems.append(f"no such test for {bug.name}: {test}")
    return problems


def baseline(bugs: list[Bug], pristine: Path, slot: Path, python: Path) -> bool:
    """The listed tests pass on the unchanged copy."""
    tests = tuple(dict.fromkeys(t for bug in bugs for t in bug.tests))
    print(f"baseline: {len(tests)} test files and ids on the unchanged tree ...", flush=True)
    started = time.monotonic()
    code, output = pytest(python, fresh_tree(pristine, slot), tests)
    if code == -2:
        return False
    if code != 0:
        print(output[-4000:])
        print(f"baseline is red (pytest exited {code}): fix the tests before planting")
        return False
    print(f"baseline green in {time.monotonic() - started:.0f} s\n", flush=True)
    return True


def report(outcomes: list[Outcome]) -> int:
    """The table (patch, area, caught by), each area's count and the kill rate."""
    rows = sorted(outcomes, key=lambda o: o.bug.name)
    name_w = max(len("patch"), *(len(o.bug.name) for o in rows))
    area_w = max(len("area"), *(len(o.bug.area) for o in rows))
    print()
    print(f"{'patch':<{name_w}}  {'area':<{area_w}}  caught by")
    print(f"{'-' * name_w}  {'-' * area_w}  {'-' * 9}")
    for outcome in rows:
        shown = {
            "caught": outcome.detail,
            "survived": "SURVIVED",
        }.get(outcome.verdict, f"{outcome.verdict.upper()}: {outcome.detail}".rstrip(": "))
        print(f"{outcome.bug.name:<{name_w}}  {outcome.bug.area:<{area_w}}  {shown}")

    by_area: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        by_area.setdefault(outcome.bug.area, Counter())[outcome.verdict] += 1
    print()
    for area, counts in by_area.items():
        judged_here = counts["caught"] + counts["survived"]
        print(f"  {area:<{area_w}}  {counts['caught']}/{judged_here} caught")
    survivors = [o.bug.name for o in rows if o.verdict == "survived"]
    broken = [o for o in rows if o.verdict in ("does not apply", "error")]
    judged = [o for o in rows if o.verdict in ("caught", "survived")]
    caught = sum(1 for o in judged if o.verdict == "caught")
    if judged:
        print(f"\nkill rate: {caught}/{len(judged)} = {100 * caught / len(judged):.1f}%")
    if survivors:
        print("survived: " + ", ".join(survivors))
    if len(judged) + len(broken) < len(outcomes):
        print(f"not run (interrupted): {len(outcomes) - len(judged) - len(broken)}")
    return 2 if broken else 0


def interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="a bug's name or number")
    parser.add_argument("--area", action="append", default=[], help="only this area's bugs")
    parser.add_argument("--jobs", type=int, default=2, help="bugs run at once (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unchanged run")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that every patch applies and every test exists",
    )
    args = parser.parse_args()
    bugs = selected(load_bugs(), args.only, args.area)
    jobs = max(1, min(args.jobs, len(bugs)))
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)

    scratch = Path(tempfile.mkdtemp(prefix="stitch-planted-"))
    pool = ThreadPoolExecutor(jobs)
    try:
        pristine = scratch / "pristine"
        copy_working_tree(pristine)
        problems = preflight(bugs, pristine)
        if problems:
            print("\n".join(problems))
            return 2
        if args.check:
            print(f"{len(bugs)} patches apply; every listed test exists")
            return 0
        slots: Queue[tuple[Path, Path]] = Queue()
        for index in range(jobs):
            slot = scratch / f"job{index}"
            slot.mkdir()
            slots.put((slot, make_venv(slot)))
        if not args.no_baseline:
            slot, python = slots.get()
            if not baseline(bugs, pristine, slot, python):
                return 2
            slots.put((slot, python))
        print(f"{len(bugs)} planted bugs, {jobs} at a time\n", flush=True)
        lock = threading.Lock()

        def one(bug: Bug) -> Outcome:
            outcome = plant(bug, pristine, slots)
            if outcome.verdict != "interrupted":
                with lock:
                    shown = f"  {outcome.detail}" if outcome.detail else ""
                    print(
                        f"{outcome.verdict:<9} {bug.name:<48} {outcome.seconds:6.1f} s{shown}",
                        flush=True,
                    )
            return outcome

        outcomes = list(pool.map(one, bugs))
        return report(outcomes)
    except KeyboardInterrupt:
        print("\ninterrupted: ending the tests still running", file=sys.stderr, flush=True)
        end_running()
        return 130
    finally:
        end_running()
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
