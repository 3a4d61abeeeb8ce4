"""A realistic week in a real repository, replayed with fixed dates: agents edit through their
own hooks (real `stitch-ls attribute` subprocesses fed each agent's documented event), one in a
linked worktree on its stream; the engineer commits, rebases the stream and merges it, rewrites
some agent lines, reverts an agent's commit; another agent rewrites an agent's line. Then the
attribution is checked line by line (`blame`) and the survival rates exactly (`report`), as of
the week's middle (too early for most horizons) and as of five weeks later; and the field
report's outcome test (`report --signals`) reads the team's export.

The week (T0 is Monday 2026-03-02):

| when | who | what | lines |
| --- | --- | --- | --- |
| Mon 10:00 | claude-code on main | `Cart.total` rewritten (A) | 4 |
| Mon 15:00 | cursor, worktree stream/checkout/a | `src/payments/refund.py` (B) | 5 |
| Tue 12:00 | vscode, same worktree | 3 lines; the engineer rewrote 1 before committing (C) | 2 |
| Tue 16:00 | engineer on main | a header line on checkout.py | - |
| Wed 10:00 | engineer | rebases the stream onto main | - |
| Wed 11:00 | engineer | merges the stream (no fast-forward) | B, C land |
| Thu 10:00 | engineer | rewrites 2 of A's lines | - |
| Fri 10:30 | claude-code on main | a new function `fee` (D) | 4 |
| Fri 15:00 | engineer | `git revert` of D | - |
| Sat 10:00 | claude-code on main | rewrites one of cursor's lines (E) | 1 |
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hookevents import agent_edits, run
from workspaces import make_workspace

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday

TEAM = """\
[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/checkout.py"]

[features.payments]
paths = ["src/payments/**"]

[outcomes.services]
payments = ["src/payments/**"]
checkout = ["src/checkout.py"]
"""

REFUND = (
    "def refund(cart, amount):\n"
    "    if amount <= 0:\n"
    '        raise ValueError("amount must be positive")\n'
    "    cart.credit(amount)\n"
    "    return amount\n"
)

SIGNALS = """\
time,service,kind,value
2026-02-26T10:00:00Z,payments,incident,1
2026-02-28T10:00:00Z,payments,incident,1
2026-03-07T10:00:00Z,payments,incident,1
2026-03-01T00:00:00Z,payments,p95_ms,400
2026-03-03T00:00:00Z,payments,p95_ms,420
not-a-time,payments,incident,1
2026-03-06T00:00:00Z,payments,p95_ms,380
2026-03-02T12:00:00Z,payments,ticket,
2026-03-03T12:00:00Z,payments,ticket,2
2026-03-05T12:00:00Z,payments,ticket,1
2026-03-20T00:00:00Z,payments,incident,5
2026-03-05T00:00:00Z,search,incident,3
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=hour, minutes=minute)


def git(root: Path, env: dict[str, str], when: datetime | None, *args: str) -> str:
    """git as the engineer runs it, with the hooks `init` installed, at a fixed moment."""
    stamp = {}
    if when is not None:
        iso = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        stamp = {"GIT_AUTHOR_DATE": iso, "GIT_COMMITTER_DATE": iso}
    result = subprocess.run(
        ["git", *args], cwd=root, env={**env, **stamp}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def commit(root: Path, env: dict[str, str], when: datetime, message: str) -> str:
    git(root, env, None, "add", "-A")
    return git(root, env, when, "commit", "-q", "-m", message)


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


def the_week(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path]:
    main = make_workspace(tmp_path / "shop", TEAM)
    assert (
        run(
            env, "init", "--agents", "claude-code,cursor", "--git-hooks", "--workspace", str(main)
        ).returncode
        == 0
    )
    commit(main, env, at(-7, 9), "set up stitch")
    worktree = tmp_path / "shop-a"
    git(main, env, None, "worktree", "add", "-q", "-b", "stream/checkout/a", str(worktree), "main")

    # Mon: claude-code on main (A)
    agent_edits(
        env,
        main,
        "claude-code",
        "src/checkout.py",
        "        return sum(self.items)\n",
        "        subtotal = sum(self.items)\n        discount = subtotal // 10\n"
        "        total = subtotal - discount\n        return total\n",
        session="claude-mon",
    )
    said = commit(main, env, at(0, 10), "Discounts on the cart total")
    assert "4 AI lines" in said
    # Mon: cursor in the stream's worktree (B)
    agent_edits(env, worktree, "cursor", "src/payments/refund.py", "", REFUND, session="cursor-mon")
    assert "5 AI lines" in commit(worktree, env, at(0, 15), "Refunds")
    # Tue: vscode in the same worktree; the engineer rewrites one of its lines first (C)
    agent_edits(
        env,
        worktree,
        "vscode",
        "src/payments/refund.py",
        "    return amount\n",
        "    log_refund(cart, amount)\n    notify(cart)\n    audit(cart)\n    return amount\n",
        session="vscode-tue",
    )
    edit(worktree, "src/payments/refund.py", "notify(cart)", "notify(cart, channel='email')")
    assert "2 AI lines" in commit(worktree, env, at(1, 12), "Refund side effects")
    # Tue: the engineer's own line on main
    edit(
        main,
        "src/checkout.py",
        '"""Checkout."""',
        '# Checkout: owned by payments team\n"""Checkout."""',
    )
    assert "AI lines" not in commit(main, env, at(1, 16), "Owner header")
    # Wed: rebase the stream onto main, then merge it
    rebased = git(worktree, env, at(2, 10), "rebase", "-q", "main")
    assert "authorship notes carried to 2 rewritten commits" in rebased
    git(
        main,
        env,
        at(2, 11),
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'stream/checkout/a'",
        "stream/checkout/a",
    )
    # Thu: the engineer rewrites two of claude-code's lines
    edit(main, "src/checkout.py", "subtotal // 10", "subtotal // 20")
    edit(
        main,
        "src/checkout.py",
        "total = subtotal - discount",
        "total = max(subtotal - discount, 0)",
    )
    commit(main, env, at(3, 10), "Smaller discount, never negative")
    # Fri: claude-code adds a function (D); the engineer reverts it the same afternoon
    agent_edits(
        env,
        main,
        "claude-code",
        "src/checkout.py",
        "    return cart.total()\n",
        "    return cart.total()\n\n\ndef fee(cart):\n    return len(cart.items)\n",
        session="claude-fri",
    )
    assert "4 AI lines" in commit(main, env, at(4, 10, 30), "Fees")
    git(main, env, at(4, 15), "revert", "--no-edit", "HEAD")
    # Sat: claude-code rewrites one of cursor's lines (E)
    agent_edits(
        env,
        main,
        "claude-code",
        "src/payments/refund.py",
        "    cart.credit(amount)\n",
        "    cart.credit(amount, reason='refund')\n",
        session="claude-sat",
    )
    assert "1 AI lines" in commit(main, env, at(5, 10), "Credit with a reason")
    return main, worktree


def report(env: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess:
    result = run(env, "report", *args, "--workspace", str(root))
    assert result.returncode == 0, result.stderr
    return result


def cells(group: dict, fates=("stands", "rewritten", "rewritten_by_agent", "reverted")) -> dict:
    """horizon -> (lines, too early, *fates)."""
    return {n: (c["lines"], c["too_early"], *(c[f] for f in fates)) for n, c in group.items()}


def test_a_week_of_agents_is_attributed_line_by_line_and_its_survival_is_exact(
    tmp_path: Path, env: dict[str, str]
):
    main, _ = the_week(tmp_path, env)

    # line by line: who wrote what, from which stream
    def blamed(path: str) -> list[tuple[str | None, str | None]]:
        out = run(env, "blame", path, "--json", "--workspace", str(main))
        assert out.returncode == 0, out.stderr
        return [(x["agent"], x["stream"]) for x in json.loads(out.stdout)]

    person = (None, None)
    claude_main, cursor_a, vscode_a = (
        ("claude-code", "main"),
        ("cursor", "checkout/a"),
        ("vscode", "checkout/a"),
    )
    assert blamed("src/checkout.py") == [
        person,
        person,
        person,
        person,
        person,
        person,
        person,
        person,
        person,
        claude_main,  # subtotal = sum(self.items)
        person,  # discount = subtotal // 20
        person,  # total = max(subtotal - discount, 0)
        claude_main,  # return total
        person,
        person,
        person,
        person,
    ]
    assert blamed("src/payments/refund.py") == [
        cursor_a,
        cursor_a,
        cursor_a,
        claude_main,  # cart.credit(amount, reason='refund')
        vscode_a,  # log_refund
        person,  # notify(cart, channel='email'): rewritten before the commit
        vscode_a,  # audit
        cursor_a,  # return amount
    ]

    # five weeks on: every horizon reached
    data = json.loads(report(env, main, "--json", "--as-of", at(40, 0).isoformat()).stdout)[
        "survival"
    ]
    assert data["ai_lines"] == 16 and data["branch"] == "main" and data["not_landed"] == 0
    # horizon -> (lines, too early, stands, rewritten, rewritten by an agent, reverted)
    assert cells(data["all"]) == {
        "1": (16, 0, 12, 0, 0, 4),
        "7": (16, 0, 9, 2, 1, 4),
        "30": (16, 0, 9, 2, 1, 4),
    }
    assert data["all"]["7"]["share"] == {
        "stands": 0.5625,
        "rewritten": 0.125,
        "rewritten_by_agent": 0.0625,
        "reverted": 0.25,
    }
    assert {name: cells(g) for name, g in data["by_agent"].items()} == {
        "claude-code": {"1": (9, 0, 5, 0, 0, 4), "7": (9, 0, 3, 2, 0, 4), "30": (9, 0, 3, 2, 0, 4)},
        "cursor": {"1": (5, 0, 5, 0, 0, 0), "7": (5, 0, 4, 0, 1, 0), "30": (5, 0, 4, 0, 1, 0)},
        "vscode": {"1": (2, 0, 2, 0, 0, 0), "7": (2, 0, 2, 0, 0, 0), "30": (2, 0, 2, 0, 0, 0)},
    }
    assert {name: cells(g) for name, g in data["by_stream"].items()} == {
        "checkout/a": {"1": (7, 0, 7, 0, 0, 0), "7": (7, 0, 6, 0, 1, 0), "30": (7, 0, 6, 0, 1, 0)},
        "main": {"1": (9, 0, 5, 0, 0, 4), "7": (9, 0, 3, 2, 0, 4), "30": (9, 0, 3, 2, 0, 4)},
    }
    assert {name: cells(g) for name, g in data["by_feature"].items()} == {
        "checkout": {
            "1": (15, 0, 11, 0, 0, 4),
            "7": (15, 0, 8, 2, 1, 4),
            "30": (15, 0, 8, 2, 1, 4),
        },
        "payments": {"1": (1, 0, 1, 0, 0, 0), "7": (1, 0, 1, 0, 0, 0), "30": (1, 0, 1, 0, 0, 0)},
    }
    text = report(env, main, "--as-of", at(40, 0).isoformat()).stdout
    assert text.index("## Survival") < text.index("## Drafts by stream")  # the report leads with it
    assert "| 7 days | 16 | 56% (9) | 12% (2) | 6% (1) | 25% (4) |" in text
    assert "| cursor | 7 days | 5 | 80% (4) | 0% (0) | 20% (1) | 0% (0) |" in text

    # Wednesday noon: A's 1-day horizon is reached, B and C landed an hour ago; D, E not made
    data = json.loads(report(env, main, "--json", "--as-of", at(2, 12).isoformat()).stdout)[
        "survival"
    ]
    assert cells(data["all"]) == {
        "1": (4, 7, 4, 0, 0, 0),
        "7": (0, 11, 0, 0, 0, 0),
        "30": (0, 11, 0, 0, 0, 0),
    }
    text = report(env, main, "--as-of", at(2, 12).isoformat()).stdout
    assert "| 1 day | 4 (+7 too early) | 100% (4) | 0% (0) | 0% (0) | 0% (0) |" in text
    assert (
        "| 30 days | too early (11 lines) | too early | too early | too early | too early |" in text
    )
    page = report(env, main, "--format", "html", "--as-of", at(2, 12).isoformat()).stdout
    assert "<td>30 days</td><td>too early (11 lines)</td><td>too early</td>" in page
    assert "–" not in page  # never a dash, in any table


def test_the_week_before_a_merge_against_the_week_after(tmp_path: Path, env: dict[str, str]):
    main, _ = the_week(tmp_path, env)
    (tmp_path / "signals.csv").write_text(SIGNALS)
    done = report(
        env,
        main,
        "--json",
        "--signals",
        str(tmp_path / "signals.csv"),
        "--as-of",
        at(40, 0).isoformat(),
    )
    assert done.stderr.splitlines()[-1] == (
        "warning: signals.csv line 7: time 'not-a-time' is not an ISO 8601 time or epoch seconds; skipped"
    )
    signals = json.loads(done.stdout)["signals"]
    assert signals["signals"] == 11
    (row,) = signals["rows"]  # only the stream merged: main's own commits are not merges
    assert (row["stream"], row["service"], row["merged_at"]) == (
        "checkout/a",
        "payments",
        "2026-03-04T11:00:00+00:00",
    )
    assert row["kinds"] == {
        "incident": {"before": {"value": 2, "n": 2}, "after": {"value": 1, "n": 1}},
        "slo_breach": {"before": "no data", "after": "no data"},
        "p95_ms": {"before": {"value": 410, "n": 2}, "after": {"value": 380, "n": 1}},
        "ticket": {"before": {"value": 3, "n": 2}, "after": {"value": 1, "n": 1}},
    }
    text = report(
        env, main, "--signals", str(tmp_path / "signals.csv"), "--as-of", at(40, 0).isoformat()
    ).stdout
    assert "| stream | merged | service | incidents | SLO breaches | p95 (ms) | tickets |" in text
    assert (
        "| checkout/a | 2026-03-04 11:00 | payments | 2 → 1 | no data → no data | 410 (2) → 380 (1) | 3 → 1 |"
        in text
    )
    # three days after the merge, the week after is not over
    early = json.loads(
        report(
            env,
            main,
            "--json",
            "--signals",
            str(tmp_path / "signals.csv"),
            "--as-of",
            at(5, 12).isoformat(),
        ).stdout
    )["signals"]["rows"][0]["kinds"]["incident"]
    assert early == {"before": {"value": 2, "n": 2}, "after": "too early"}
    # a file that cannot be read at all is one clear error
    missing = run(env, "report", "--signals", str(tmp_path / "nope.csv"), "--workspace", str(main))
    assert missing.returncode == 2 and "nope.csv does not exist" in missing.stderr
    assert os.path.exists(main / ".stitch" / "config.toml")
