"""Symbols from tree-sitter in five languages, and incremental edits that match a full parse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stitch_ls.core.syntax import SyntaxDoc, language_for_path, parse_symbols

PYTHON = """import os

@decorator
class Cart:
    def __init__(self):
        self.items = []

    async def total(self):
        def inner():
            return 1
        return sum(self.items)


def pay(cart):
    return cart.total()
"""


def names(text: str, language: str) -> list[tuple[str, str]]:
    return [(s.name, s.kind) for s in parse_symbols(text, language)]


def test_language_for_path():
    assert [
        language_for_path(p)
        for p in ("a.py", "b.tsx", "c.ts", "d.mjs", "e.go", "f.rs", "g.txt", "Makefile")
    ] == [
        "python",
        "tsx",
        "typescript",
        "javascript",
        "go",
        "rust",
        None,
        None,
    ]


def test_python_names_kinds_and_decorated_ranges():
    assert names(PYTHON, "python") == [
        ("Cart", "class"),
        ("Cart.__init__", "method"),
        ("Cart.total", "method"),
        ("Cart.total.inner", "function"),
        ("pay", "function"),
    ]
    cart = SyntaxDoc(PYTHON, "python").find_symbol("Cart")
    assert cart.start == (2, 0)  # the decorator belongs to the class


def test_javascript_typescript_tsx():
    js = "export function f() {}\nclass A { m() { return 1 } }\nconst g = () => 1;\nexport const h = function () {};\n"
    assert names(js, "javascript") == [
        ("f", "function"),
        ("A", "class"),
        ("A.m", "method"),
        ("g", "function"),
        ("h", "function"),
    ]
    ts = "interface I { a: number }\ntype T = string;\nenum E { A }\nexport class C { m(): void {} }\nnamespace N { function q() {} }\n"
    assert names(ts, "typescript") == [
        ("I", "interface"),
        ("T", "type"),
        ("E", "enum"),
        ("C", "class"),
        ("C.m", "method"),
        ("N", "module"),
        ("N.q", "function"),
    ]
    tsx = "export function App() { return <div>{1}</div>; }\n"
    assert names(tsx, "tsx") == [("App", "function")]


def test_go_and_rust():
    go = "package p\ntype Cart struct { items []int }\ntype Shape interface { Area() float64 }\nfunc (c *Cart) Total() int { return 0 }\nfunc (c Cart) Count() int { return 0 }\nfunc Pay() {}\n"
    assert names(go, "go") == [
        ("Cart", "struct"),
        ("Shape", "interface"),
        ("Cart.Total", "method"),
        ("Cart.Count", "method"),
        ("Pay", "function"),
    ]
    rust = "struct Cart { items: Vec<i32> }\nenum E { A }\ntrait T { fn t(&self); }\nimpl Cart { fn total(&self) -> i32 { 0 } }\nimpl T for Cart { fn t(&self) {} }\nmod m { fn inner() {} }\nfn main() {}\n"
    assert names(rust, "rust") == [
        ("Cart", "struct"),
        ("E", "enum"),
        ("T", "trait"),
        ("Cart.total", "method"),
        ("Cart.t", "method"),
        ("m", "module"),
        ("m.inner", "function"),
        ("main", "function"),
    ]


def test_columns_are_code_points_after_non_ascii():
    text = 'café = "ü🙂"; f = lambda: 0\ndef g(): pass\nclass 名前:\n    def m(self): pass\n'
    doc = SyntaxDoc(text, "python")
    assert doc.find_symbol("g").start == (1, 0)
    method = doc.find_symbol("名前.m")
    assert method.start == (3, 4) and method.end == (3, 21)


def test_ambiguous_and_missing_names_are_not_found():
    doc = SyntaxDoc("def f():\n    pass\n\ndef f():\n    pass\n", "python")
    assert doc.find_symbol("f") is None and doc.find_symbol("g") is None


def test_innermost_and_touching():
    doc = SyntaxDoc(PYTHON, "python")
    assert doc.innermost_symbol_at(9).name == "Cart.total.inner"
    assert doc.innermost_symbol_at(10).name == "Cart.total"
    assert doc.innermost_symbol_at(0) is None
    assert [s.name for s in doc.symbols_touching(10, 14)] == ["Cart.total", "pay"]


def test_a_syntax_error_keeps_the_other_symbols():
    broken = PYTHON.replace("def pay(cart):", "def pay(cart:")
    doc = SyntaxDoc(broken, "python")
    assert doc.has_error
    assert doc.find_symbol("Cart.__init__") is not None


def test_no_grammar_means_no_symbols():
    assert SyntaxDoc("anything", None).symbols() == []


edits = st.lists(
    st.tuples(
        st.integers(0, 20),
        st.integers(0, 40),
        st.integers(0, 20),
        st.integers(0, 40),
        st.sampled_from(
            [
                "",
                "x",
                "\n",
                "def q():\n    pass\n",
                "é🙂",
                "class K:\n    def m(self): pass\n",
                ")",
                "    ",
            ]
        ),
    ),
    max_size=8,
)


def _apply(text: str, start: tuple[int, int], end: tuple[int, int], new: str) -> str:
    lines = text.split("\n")

    def offset(point: tuple[int, int]) -> int:
        line = min(point[0], len(lines) - 1)
        return sum(len(x) + 1 for x in lines[:line]) + min(point[1], len(lines[line]))

    a, b = sorted((offset(start), offset(end)))
    return text[:a] + new + text[b:]


@settings(max_examples=150, deadline=None)
@given(edits)
def test_incremental_edits_match_a_fresh_parse(changes):
    doc = SyntaxDoc(PYTHON, "python")
    expected = PYTHON
    for l1, c1, l2, c2, new in changes:
        doc.apply_edit((l1, c1), (l2, c2), new)
        expected = _apply(expected, (l1, c1), (l2, c2), new)
        assert doc.text == expected
    assert doc.symbols() == parse_symbols(expected, "python")
