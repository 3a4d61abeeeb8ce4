"""Timings for `stitch_ls.core.syntax` on a generated 10,000-line Python file.

Prints numbers and asserts nothing. Run: python benchmarks/bench_syntax.py

"Typing" is one character per keystroke inside a method body, each followed by a re-parse
and `symbols()`, as the server does. The first edit after a full parse is slower than the
rest (tree-sitter re-balances the old tree's repetition nodes), so it is shown apart.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from stitch_ls.core.syntax import PARSE_BUDGET_S, SyntaxDoc, parse_symbols


def generate(lines: int = 10_000) -> str:
    """Classes of four methods plus free functions, ~`lines` lines, some non-ASCII."""
    out: list[str] = ["import os", ""]
    n = 0
    while len(out) < lines:
        out += [f"class Model{n}:", f'    """Model {n}: prix en €, 名前."""', ""]
        for m in range(4):
            out += [
                f"    def method_{m}(self, value):",
                f"        total = value * {m} + len(os.sep)",
                "        for item in range(total):",
                "            total += item",
                "        return total",
                "",
            ]
        out += ["", f"def helper_{n}(x):", "    return x + 1", "", ""]
        n += 1
    return "\n".join(out[:lines]) + "\n"


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    print(
        f"{label:<50} median {statistics.median(samples):7.3f} ms  p90 {p90:7.3f} ms"
        f"  max {max(samples):7.3f} ms  (n={len(samples)})"
    )


def main() -> None:
    text = generate()
    t0 = time.perf_counter()
    SyntaxDoc("x = 1\n", "python").symbols()  # lazy imports and grammar load
    print(f"first use (imports + grammar load): {1000 * (time.perf_counter() - t0):.3f} ms")
    print(f"file: {text.count(chr(10))} lines, {len(text)} characters")

    report("full parse (SyntaxDoc(text))", timed(lambda: SyntaxDoc(text, "python"), 10))
    report("full parse + symbols()", timed(lambda: parse_symbols(text, "python"), 10))

    doc = SyntaxDoc(text, "python")
    print(f"symbols: {len(doc.symbols())}")
    lines = text.split("\n")
    line = next(i for i in range(5000, len(lines)) if lines[i].startswith("        for item"))
    column = 12  # inside "item"

    def keystroke() -> None:
        nonlocal column
        doc.apply_edit((line, column), (line, column), "x")
        column += 1

    def keystroke_symbols() -> None:
        keystroke()
        doc.symbols()

    report("first edit after the full parse + symbols", timed(keystroke_symbols, 1))
    report("typing: edit + incremental reparse", timed(keystroke, 200))
    report("typing: edit + incremental reparse + symbols", timed(keystroke_symbols, 200))

    def enter() -> None:
        doc.apply_edit((line + 2, 0), (line + 2, 0), "        total -= 1\n")
        doc.symbols()

    report("new line in a method + reparse + symbols", timed(enter, 100))

    def top() -> None:
        doc.apply_edit((1, 0), (1, 0), "y = 1\n")
        doc.symbols()

    report("new line at the top (all symbols move) + symbols", timed(top, 50))

    def delete_top() -> None:
        doc.apply_edit((1, 0), (2, 0), "")
        doc.symbols()

    report("delete a line at the top + symbols", timed(delete_top, 50))
    same = doc.symbols() == parse_symbols(doc.text, "python")
    print(f"incremental symbols equal a fresh parse: {same}")

    # A text tree-sitter parses in quadratic time: a comment block thousands of lines long.
    # Each parse stops at the budget (PARSE_BUDGET_S of CPU time); typing on parses nothing.
    for comments in (2_000, 4_000, 8_000):
        slow = "def head():\n    return 1\n" + "# why this module is the way it is\n" * comments
        slow_doc = SyntaxDoc(slow, "python")
        report(
            f"{comments:,}-line comment block: first parse",
            timed(slow_doc.symbols, 1),
        )
        print(f"  over the {PARSE_BUDGET_S:g} s budget: {slow_doc.over_budget}")

        def type_in(d: SyntaxDoc = slow_doc) -> None:
            d.apply_edit((2, 0), (2, 0), "#\n")
            d.symbols()

        report(f"{comments:,}-line comment block: a keystroke + symbols", timed(type_in, 5))


if __name__ == "__main__":
    main()
