"""Score per module from mutmut's results in the staging copy (run from scripts/mutation.sh).

Killed, timed out and caught-by-type-check mutants count as detected; survivors and mutants
no test reached count against the score; a mutant left unchecked makes the run incomplete.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys

DETECTED = {"killed", "timeout", "caught by type check", "segfault"}


def main(modules: list[str]) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    survivors: dict[str, list[str]] = collections.defaultdict(list)
    for line in out.splitlines():
        match = re.match(r"\s*(stitch_ls\.core\.(\S+?))\.([^.\s]+__mutmut_\d+): (.+)$", line)
        if not match:
            continue
        module, name, status = match.group(2), match.group(3), match.group(4).strip()
        if modules and module not in modules:
            continue
        counts[module][status] += 1
        if status not in DETECTED:
            survivors[module].append(f"{name} ({status})")
    print(f"{'module':<18} {'mutants':>7} {'detected':>8} {'score':>7}  other")
    for module in sorted(counts):
        total = sum(counts[module].values())
        detected = sum(n for status, n in counts[module].items() if status in DETECTED)
        other = ", ".join(
            f"{n} {s}" for s, n in sorted(counts[module].items()) if s not in DETECTED
        )
        print(f"{module:<18} {total:>7} {detected:>8} {100 * detected / total:>6.1f}%  {other}")
    for module in sorted(survivors):
        print(f"\n{module}:")
        for name in survivors[module]:
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
