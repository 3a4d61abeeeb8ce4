"""Symbols from real tree-sitter grammars, code-point positions, and incremental edits.

The incremental path is checked against parsing from scratch: random edits applied with
`apply_edit` must leave the same text and the same symbols as a fresh `parse_symbols`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stitch_ls.core.syntax import Symbol, SyntaxDoc, language_for_path, parse_symbols


def names(text: str, language: str) -> list[tuple[str, str]]:
    return [(s.name, s.kind) for s in parse_symbols(text, language)]


def find(text: str, language: str, name: str) -> Symbol:
    symbol = SyntaxDoc(text, language).find_symbol(name)
    assert symbol is not None, name
    return symbol


# -- languages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("stubs/a.pyi", "python"),
        ("a.js", "javascript"),
        ("a.mjs", "javascript"),
        ("a.cjs", "javascript"),
        ("a.jsx", "javascript"),
        ("a.ts", "typescript"),
        ("a.mts", "typescript"),
        ("a.cts", "typescript"),
        ("types.d.ts", "typescript"),
        ("App.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("SHOUT.PY", "python"),
        ("notes.txt", None),
        ("Makefile", None),
        (".py", None),
        ("dir.py/file", None),
    ],
)
def test_language_for_path(path: str, language: str | None) -> None:
    assert language_for_path(path) == language


def test_an_unknown_language_is_refused_and_none_means_no_tree() -> None:
    with pytest.raises(ValueError):
        SyntaxDoc("x", "cobol")
    doc = SyntaxDoc("def f(): pass\n", None)
    assert doc.symbols() == [] and doc.find_symbol("f") is None and not doc.has_error
    doc.apply_edit((0, 4), (0, 5), "g")
    assert doc.text == "def g(): pass\n" and doc.symbols() == []
    assert doc.innermost_symbol_at(0) is None and doc.symbols_touching(0, 9) == []


def test_importing_the_module_does_not_load_tree_sitter() -> None:
    code = (
        "import sys, stitch_ls.core.syntax as s\n"
        "assert not any(m.startswith('tree_sitter') for m in sys.modules), sorted(sys.modules)\n"
        "s.parse_symbols('def f(): pass', 'python')\n"
        "assert 'tree_sitter_python' in sys.modules and 'tree_sitter_rust' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


PYTHON = '''import os


@decorator
@other(1)
class Cart:
    """A cart."""

    class Line:
        def price(self):
            return 1

    def __init__(self):
        self.items = []

    @property
    async def total(self):
        def inner():
            def deepest():
                pass

            return 1

        return sum(self.items)

    if DEBUG:
        def debug(self):
            pass


async def pay(cart):
    return await cart.total


lambda_value = lambda: 0
type Pair[T] = tuple[T, T]
'''


def test_python_names_and_kinds() -> None:
    assert names(PYTHON, "python") == [
        ("Cart", "class"),
        ("Cart.Line", "class"),
        ("Cart.Line.price", "method"),
        ("Cart.__init__", "method"),
        ("Cart.total", "method"),
        ("Cart.total.inner", "function"),
        ("Cart.total.inner.deepest", "function"),
        ("Cart.debug", "method"),
        ("pay", "function"),
        ("Pair", "type"),
    ]


def test_python_ranges_include_decorators() -> None:
    cart = find(PYTHON, "python", "Cart")
    assert cart.start == (3, 0)  # "@decorator", two lines before "class Cart:"
    assert cart.end == (27, 16)  # after the last "pass" of the class body
    total = find(PYTHON, "python", "Cart.total")
    assert total.start == (15, 4) and total.end == (23, 30)
    pay = find(PYTHON, "python", "pay")
    assert pay.start == (30, 0) and pay.end == (31, 27)


def test_javascript() -> None:
    js = """export function f() {}
export default class A {
  m() { return 1 }
  get size() { return 0 }
  #hidden() {}
  handler = () => {};
  static make = function () {};
  plain = 3;
}
const g = () => 1;
let h = function () {}, notAFunction = 2;
var Klass = class { run() {} };
function* gen() {}
export const exported = async () => {
  function helper() {}
};
function outer() {
  function inner() {}
  const local = () => {};
}
foo(function callback() {});
"""
    assert names(js, "javascript") == [
        ("f", "function"),
        ("A", "class"),
        ("A.m", "method"),
        ("A.size", "method"),
        ("A.#hidden", "method"),
        ("A.handler", "method"),
        ("A.make", "method"),
        ("g", "function"),
        ("h", "function"),
        ("Klass", "class"),
        ("Klass.run", "method"),
        ("gen", "function"),
        ("exported", "function"),
        ("exported.helper", "function"),
        ("outer", "function"),
        ("outer.inner", "function"),
        ("outer.local", "function"),
    ]
    doc = SyntaxDoc(js, "javascript")
    # `export` belongs to the declaration it exports; a lone declarator is the statement.
    assert doc.find_symbol("f").start == (0, 0)
    assert doc.find_symbol("A").start == (1, 0) and doc.find_symbol("A").end == (8, 1)
    assert doc.find_symbol("g").start == (9, 0) and doc.find_symbol("g").end == (9, 18)
    assert doc.find_symbol("h").start == (10, 4) and doc.find_symbol("h").end == (10, 22)
    assert doc.find_symbol("exported").start == (13, 0)
    assert doc.find_symbol("exported").end == (15, 2)


TYPESCRIPT = """interface Shape { area(): number }
type Id = string | number;
enum Color { Red, Green }
export abstract class Base<T> implements Shape {
  @logged()
  @traced
  area(): number { return 0 }
  abstract name(): string;
  size(a: string): number;
  size(a: any): number { return 1 }
  private onClick = (e: Event): void => {};
}
export namespace Geometry {
  export function unit(): Id { return 1 }
}
declare module "ambient" {
  export function declared(): void;
}
function overloaded(a: string): void;
function overloaded(a: any) {}
export const typed = <T,>(x: T): T => x;
"""


def test_typescript() -> None:
    assert names(TYPESCRIPT, "typescript") == [
        ("Shape", "interface"),
        ("Id", "type"),
        ("Color", "enum"),
        ("Base", "class"),
        ("Base.area", "method"),
        ("Base.size", "method"),
        ("Base.onClick", "method"),
        ("Geometry", "module"),
        ("Geometry.unit", "function"),
        ("ambient", "module"),
        ("overloaded", "function"),
        ("typed", "function"),
    ]
    doc = SyntaxDoc(TYPESCRIPT, "typescript")
    area = doc.find_symbol("Base.area")
    assert area.start == (4, 2) and area.end == (6, 29)  # decorators included
    overloaded = doc.find_symbol("overloaded")  # the signature is not a second symbol
    assert overloaded.start == (19, 0)


def test_tsx() -> None:
    tsx = """import React from "react";
export function App(): JSX.Element {
  return <div className="app">{items.map((i) => <Item key={i} />)}</div>;
}
const Item = ({ k }: { k: number }) => <span>{k}</span>;
class Legacy extends React.Component {
  render() { return <p>é</p>; }
}
"""
    assert names(tsx, "tsx") == [
        ("App", "function"),
        ("Item", "function"),
        ("Legacy", "class"),
        ("Legacy.render", "method"),
    ]
    assert not SyntaxDoc(tsx, "tsx").has_error
    assert SyntaxDoc(tsx, "typescript").has_error  # JSX needs the TSX grammar


def test_go() -> None:
    go = """package shop

type Cart struct {
	items []int
}

type Shape interface {
	Area() float64
}

type (
	ID    = string
	Price int
	Box[T any] struct{ v T }
)

func (c *Cart) Total() int { return 0 }

func (c Cart) Count() int { return len(c.items) }

func (b *Box[T]) Get() T { return b.v }

func Pay(c *Cart) error {
	f := func() {}
	f()
	return nil
}
"""
    assert names(go, "go") == [
        ("Cart", "struct"),
        ("Shape", "interface"),
        ("ID", "type"),
        ("Price", "type"),
        ("Box", "struct"),
        ("Cart.Total", "method"),
        ("Cart.Count", "method"),
        ("Box.Get", "method"),
        ("Pay", "function"),
    ]
    doc = SyntaxDoc(go, "go")
    assert doc.find_symbol("Cart").start == (2, 0)  # "type Cart struct" from "type"
    assert doc.find_symbol("Price").start == (12, 1)  # in a group: just the spec
    assert doc.find_symbol("Cart.Total").start == (16, 0)


RUST = """use std::fmt;

#[derive(Debug, Clone)]
pub struct Cart {
    items: Vec<i32>,
}

pub enum Kind { A, B }

union Bits { i: u32, f: f32 }

type Total = i64;

pub trait Priced {
    fn price(&self) -> i64;
    fn doubled(&self) -> i64 {
        self.price() * 2
    }
}

impl Cart {
    pub fn new() -> Self {
        fn helper() {}
        Cart { items: vec![] }
    }
}

impl fmt::Display for Cart {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "cart")
    }
}

impl<T> Priced for Wrapper<T> {
    fn price(&self) -> i64 { 0 }
}

mod checkout {
    pub fn pay() {}
    mod inner {
        fn deep() {}
    }
}

mod declared;

#[test]
fn it_works() {}
"""


def test_rust() -> None:
    assert names(RUST, "rust") == [
        ("Cart", "struct"),
        ("Kind", "enum"),
        ("Bits", "struct"),
        ("Total", "type"),
        ("Priced", "trait"),
        ("Priced.doubled", "method"),
        ("impl Cart", "impl"),
        ("Cart.new", "method"),
        ("Cart.new.helper", "function"),
        ("impl fmt::Display for Cart", "impl"),
        ("Cart.fmt", "method"),
        ("impl Priced for Wrapper<T>", "impl"),
        ("Wrapper.price", "method"),
        ("checkout", "module"),
        ("checkout.pay", "function"),
        ("checkout.inner", "module"),
        ("checkout.inner.deep", "function"),
        ("declared", "module"),
        ("it_works", "function"),
    ]
    doc = SyntaxDoc(RUST, "rust")
    assert doc.find_symbol("Cart").start == (2, 0)  # the attribute belongs to the struct
    assert doc.find_symbol("it_works").start == (46, 0)
    assert doc.find_symbol("impl Cart").end == (25, 1)


# -- positions ------------------------------------------------------------------------------


def test_columns_count_code_points() -> None:
    text = (
        "café = 'ü'\n"
        'smile = "😀"; f = lambda: "😀"\n'
        "class 名前:\n"
        '    """説明: ドキュメント"""\n'
        '    def m(self): return "é😀"\n'
    )
    doc = SyntaxDoc(text, "python")
    method = doc.find_symbol("名前.m")
    assert method.start == (4, 4)
    assert method.end == (4, len('    def m(self): return "é😀"'))  # 28 code points, 32 bytes
    assert doc.find_symbol("名前").end == method.end

    js = 'const s = "😀🙂"; /* ü */ function after() { return "é"; } const g = () => "😀";\n'  # noqa: E501
    doc = SyntaxDoc(js, "javascript")
    after = doc.find_symbol("after")
    assert after.start == (0, js.index("function"))
    assert after.end == (0, js.index("function") + len('function after() { return "é"; }'))
    assert doc.find_symbol("g").start == (0, js.index("const g"))
    assert doc.find_symbol("g").end == (0, len(js) - 1)


def test_line_model_is_newline_only() -> None:
    # "\r" is an ordinary character; form feed and U+2028 do not break lines either.
    doc = SyntaxDoc('s = "\u2028"\x0c\r\ndef g():\r\n    pass\r\n', "python")
    g = doc.find_symbol("g")
    assert g.start == (1, 0) and g.end == (2, 8)
    doc.apply_edit((1, 99), (1, 99), "#")  # clamped to the line's end, after its "\r"
    assert doc.text.split("\n")[1] == "def g():\r#"
    lone = SyntaxDoc("x = 1\rdef f(): pass\n", "python").find_symbol("f")
    assert lone is not None and lone.start == (0, 6)  # one line, as the editor is told


def test_contains_line_and_exclusive_end() -> None:
    symbol = Symbol("f", "function", (2, 4), (5, 0))
    assert [symbol.contains_line(n) for n in range(1, 7)] == [False, True, True, True, False, False]
    assert symbol.last_line == 4
    assert Symbol("g", "function", (3, 0), (3, 0)).contains_line(3)
    with pytest.raises(AttributeError):
        symbol.name = "g"  # type: ignore[misc]


# -- lookups --------------------------------------------------------------------------------


def test_find_symbol_is_exact_and_refuses_ambiguity() -> None:
    doc = SyntaxDoc(PYTHON, "python")
    assert doc.find_symbol("Cart.total").kind == "method"
    assert doc.find_symbol("total") is None  # qualified names only
    assert doc.find_symbol("Cart.tota") is None
    property_pair = (
        "class A:\n"
        "    @property\n"
        "    def x(self): return 1\n"
        "    @x.setter\n"
        "    def x(self, v): pass\n"
    )
    doc = SyntaxDoc(property_pair, "python")
    assert doc.find_symbol("A.x") is None and doc.find_symbol("A") is not None
    twice = SyntaxDoc("def f():\n    pass\n\ndef f():\n    pass\n", "python")
    assert twice.find_symbol("f") is None
    rust = SyntaxDoc(RUST, "rust")
    assert rust.find_symbol("Cart").kind == "struct"  # "impl Cart" is not a second "Cart"


CART = """class Cart:
    rate = 1

    def total(self):
        return 1

    def pay(self):
        return 2

def free():
    pass
"""


def test_innermost_symbol_at() -> None:
    doc = SyntaxDoc(CART, "python")
    at = [
        (line, s.name if s else None) for line in range(12) for s in [doc.innermost_symbol_at(line)]
    ]
    assert at == [
        (0, "Cart"),
        (1, "Cart"),
        (2, "Cart"),
        (3, "Cart.total"),
        (4, "Cart.total"),
        (5, "Cart"),
        (6, "Cart.pay"),
        (7, "Cart.pay"),
        (8, None),
        (9, "free"),
        (10, "free"),
        (11, None),
    ]
    js = SyntaxDoc("function a() {\n} function b() {\n}\n", "javascript")
    assert js.innermost_symbol_at(1).name == "b"  # a shared line goes to the later one
    assert SyntaxDoc(PYTHON, "python").innermost_symbol_at(18).name == "Cart.total.inner.deepest"


def test_symbols_touching() -> None:
    doc = SyntaxDoc(CART, "python")

    def touching(first: int, last: int) -> list[str]:
        return [s.name for s in doc.symbols_touching(first, last)]

    assert touching(4, 4) == ["Cart.total"]  # the method, not the class
    assert touching(3, 4) == ["Cart.total"]
    assert touching(1, 1) == ["Cart"]  # a class attribute
    assert touching(4, 7) == ["Cart", "Cart.total", "Cart.pay"]  # line 5 is the class's
    assert touching(7, 10) == ["Cart.pay", "free"]
    assert touching(10, 7) == ["Cart.pay", "free"]
    assert touching(8, 8) == [] and touching(50, 60) == []
    assert touching(0, 100) == ["Cart", "Cart.total", "Cart.pay", "free"]
    js = SyntaxDoc("function a() {\n} function b() {\n}\n", "javascript")
    assert [s.name for s in js.symbols_touching(1, 1)] == ["a", "b"]


def test_symbols_are_sorted_outer_first() -> None:
    for text, language in [(PYTHON, "python"), (RUST, "rust"), (TYPESCRIPT, "typescript")]:
        symbols = parse_symbols(text, language)
        assert symbols == sorted(symbols, key=lambda s: s.start)
        for outer, inner in zip(symbols, symbols[1:], strict=False):
            if outer.start == inner.start:
                assert outer.end >= inner.end


def test_a_syntax_error_keeps_the_other_symbols() -> None:
    broken = PYTHON.replace("    def __init__(self):", "    def __init__(self:")
    doc = SyntaxDoc(broken, "python")
    assert doc.has_error
    found = {s.name for s in doc.symbols()}
    assert {"Cart", "Cart.Line.price", "pay"} <= found
    assert not SyntaxDoc(PYTHON, "python").has_error

    go = "package p\nfunc A() {}\nfunc B( {\n}\nfunc C() {}\n"
    doc = SyntaxDoc(go, "go")
    assert doc.has_error and {"A", "C"} <= {s.name for s in doc.symbols()}


# -- edits ----------------------------------------------------------------------------------


def test_apply_edit_clamps_and_updates_symbols() -> None:
    doc = SyntaxDoc(CART, "python")
    doc.apply_edit((3, 8), (3, 13), "grand_total")
    assert doc.find_symbol("Cart.grand_total") is not None and doc.find_symbol("Cart.total") is None
    doc.apply_edit((9, 100), (9, 200), "  # é")  # past the line's end: at its end
    assert doc.text.split("\n")[9] == "def free():  # é"
    doc.apply_edit((500, 0), (900, 3), "\ndef last():\n    pass\n")  # past the end: at the end
    assert doc.text.endswith("    pass\n\ndef last():\n    pass\n")
    assert doc.find_symbol("last").start == (12, 0)
    doc.apply_edit((6, 0), (-3, -1), "")  # reversed and negative: lines 0-5 go
    assert doc.text.startswith("    def pay(self):")
    doc.apply_edit((0, 0), (0, 0), "")  # a no-op
    assert [s.name for s in doc.symbols()] == parse_names(doc.text)
    doc.replace_text("def only(): pass\n")
    assert [s.name for s in doc.symbols()] == ["only"]


def parse_names(text: str) -> list[str]:
    return [s.name for s in parse_symbols(text, "python")]


def generated_python(classes: int) -> str:
    parts = ["import os\n"]
    for n in range(classes):
        parts.append(
            f"\n\nclass C{n}:\n    def a(self):\n        return {n}\n\n    def b(self):\n"
            f"        x = 'é{n}'\n        return x\n\n\ndef f{n}():\n    pass\n"
        )
    return "".join(parts)


def test_many_edits_on_a_larger_file_match_a_fresh_parse() -> None:
    text = generated_python(60)
    doc = SyntaxDoc(text, "python")
    doc.symbols()
    edits = [
        ((200, 12), (200, 12), "xyz"),  # typing in the middle
        ((5, 0), (5, 0), "\n\ndef inserted():\n    pass\n"),  # a new function
        ((100, 0), (112, 0), ""),  # a deleted block
        ((0, 0), (0, 0), "# 😀 header\n"),  # everything moves down
        ((300, 4), (300, 4), "    "),  # a changed indentation
        ((40, 0), (40, 0), "@decorator\n"),
        ((1, 0), (3, 0), ""),
        ((doc.line_count - 1, 0), (doc.line_count - 1, 0), "class Tail:\n    def t(self): pass\n"),
    ]
    for start, end, new in edits:
        doc.apply_edit(start, end, new)
        assert doc.symbols() == parse_symbols(doc.text, "python")
    for n in range(30):  # a burst of keystrokes
        doc.apply_edit((250, 8 + n), (250, 8 + n), "é")
    assert doc.symbols() == parse_symbols(doc.text, "python")


SAMPLES = {
    "python": PYTHON,
    "javascript": (
        "export function f() {}\nclass A {\n  m() { return 1 }\n  h = () => 2;\n}\n"
        "const g = () => 1;\nfunction outer() { function inner() {} }\n"
    ),
    "typescript": TYPESCRIPT,
    "tsx": (
        "export function App() { return <div>{1}</div>; }\nconst B = () => <span/>;\n"
        "class C { r() { return <p>é</p>; } }\n"
    ),
    "go": (
        "package p\ntype Cart struct { items []int }\nfunc (c *Cart) Total() int { return 0 }\n"
        "func (c Cart) Count() int { return 0 }\nfunc Pay() {}\n"
    ),
    "rust": RUST,
}

SNIPPETS = [
    "",
    "x",
    "\n",
    "    ",
    "é😀",
    "名前",
    ")",
    "{",
    "}",
    "\ndef q():\n    pass\n",
    "class K:\n    def m(self): pass\n",
    "function z() {}\n",
    "fn r() {}\n",
    "@d\n",
]


def model_edit(text: str, start: tuple[int, int], end: tuple[int, int], new: str) -> str:
    """The documented clamping, written independently: past a line's end means its end,
    past the last line means the end of the text, and a reversed range is swapped."""
    lines = text.split("\n")

    def offset(line: int, char: int) -> int:
        if line < 0:
            return 0
        if line >= len(lines):
            return len(text)
        return sum(len(x) + 1 for x in lines[:line]) + max(0, min(char, len(lines[line])))

    a, b = sorted((offset(*start), offset(*end)))
    return text[:a] + new + text[b:]


position = st.tuples(st.integers(-1, 45), st.integers(-1, 60))
edit = st.tuples(position, position, st.sampled_from(SNIPPETS) | st.text(max_size=4))


@settings(max_examples=60, deadline=None)
@given(
    language=st.sampled_from(sorted(SAMPLES)),
    edits=st.lists(st.tuples(edit, st.booleans()), min_size=1, max_size=10),
)
def test_random_edits_match_a_fresh_parse(
    language: str, edits: list[tuple[tuple[tuple[int, int], tuple[int, int], str], bool]]
) -> None:
    text = SAMPLES[language]
    doc = SyntaxDoc(text, language)  # asked for symbols along the way: reuses units
    twin = SyntaxDoc(text, language)  # the same edits, symbols only at the end
    doc.symbols()
    for (start, end, new), look in edits:
        doc.apply_edit(start, end, new)
        twin.apply_edit(start, end, new)
        text = model_edit(text, start, end, new)
        assert doc.text == text
        if look:
            doc.symbols()
    assert twin.text == text
    fresh = parse_symbols(text, language)
    assert doc.symbols() == twin.symbols()
    if doc.symbols() != fresh:
        # Only tree-sitter's error recovery may differ between an incremental and a fresh
        # parse, never a valid program's tree.
        assert doc.has_error or SyntaxDoc(text, language).has_error
    else:
        assert doc.symbols() == fresh


@settings(max_examples=40, deadline=None)
@given(edits=st.lists(edit, min_size=1, max_size=12))
def test_random_edits_keep_text_and_positions_exact(
    edits: list[tuple[tuple[int, int], tuple[int, int], str]],
) -> None:
    text = PYTHON
    doc = SyntaxDoc(text, "python")
    for start, end, new in edits:
        doc.apply_edit(start, end, new)
        text = model_edit(text, start, end, new)
    assert doc.text == text
    assert doc.line_count == text.count("\n") + 1
    assert doc.symbols() == parse_symbols(text, "python") or doc.has_error
    lines = text.split("\n")
    for symbol in doc.symbols():  # every range lies inside the text, in code points
        for line, column in (symbol.start, symbol.end):
            assert 0 <= line < len(lines) and 0 <= column <= len(lines[line])


# -- the parse budget ------------------------------------------------------------------------

SLOW = "def head():\n    return 1\n" + "# a long comment line, one of thousands\n" * 3000


def test_a_text_over_the_parse_budget_has_no_symbols_and_is_not_parsed_again_until_smaller(
    monkeypatch: pytest.MonkeyPatch,
):
    from stitch_ls.core.syntax import grammars

    parses: list[int] = []
    within = grammars.parse_within_budget

    def counted(parser, data, old_tree=None):
        parses.append(len(data))
        return within(parser, data, old_tree)

    monkeypatch.setattr("stitch_ls.core.syntax.document.parse_within_budget", counted)
    monkeypatch.setattr(grammars, "PARSE_BUDGET_S", 0.0)  # every parse is over it
    doc = SyntaxDoc(SLOW, "python")
    assert doc.symbols() == [] and doc.over_budget and not doc.has_error
    assert doc.lookup_failure("head").startswith("this file takes over")
    doc.apply_edit((2, 0), (2, 0), "# one more\n")  # no smaller: not tried again
    assert doc.symbols() == [] and doc.over_budget and doc.parse_job() is None
    assert len(parses) == 1

    monkeypatch.setattr(grammars, "PARSE_BUDGET_S", 60.0)
    doc.apply_edit((2, 0), (3, 0), "")
    doc.apply_edit((2, 0), (3, 0), "")  # smaller than what ran out of time: tried again
    job = doc.parse_job()
    assert job is not None and doc.adopt(*job())
    assert [s.name for s in doc.symbols()] == ["head"] and not doc.over_budget


def test_the_parse_budget_travels_with_a_parse_made_elsewhere(monkeypatch: pytest.MonkeyPatch):
    from stitch_ls.core.syntax import grammars

    monkeypatch.setattr(grammars, "PARSE_BUDGET_S", 0.0)
    doc = SyntaxDoc(SLOW, "python")
    job = doc.parse_job()
    assert job is not None and doc.adopt(*job())  # built in a worker, as the server does
    assert doc.over_budget and doc.symbols() == []
    doc.apply_edit((2, 0), (2, 0), "#\n")
    assert doc.parse_job() is None  # nothing for a worker: no larger text is parsed
