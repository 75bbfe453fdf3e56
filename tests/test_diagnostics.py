"""Rendering of diagnostics: exact format, odd spans, tabs, several errors."""
import pytest

from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import Diagnostic, RecipeError, Span, render, render_all

SOURCE = "\n".join(f"# line {i}" for i in range(1, 7)) + "\n  desne(128) relu\n"


def test_render_exact_format():
    d = Diagnostic(Span("recipes/x.recipe", 7, 3, 7, 8), "E102", "unknown layer `desne`",
                   "did you mean `dense`?")
    assert render(d, SOURCE) == (
        "recipes/x.recipe:7:3: error[E102]: unknown layer `desne`\n"
        "    7 |   desne(128) relu\n"
        "      |   ^^^^^\n"
        "      = help: did you mean `dense`?")


def test_no_hint_no_help_line_and_at_least_one_caret():
    d = Diagnostic(Span("f", 7, 3, 7, 3), "E106", "missing")
    assert render(d, SOURCE).splitlines() == [
        "f:7:3: error[E106]: missing", "    7 |   desne(128) relu", "      |   ^"]


def test_without_source_only_header_and_help():
    d = Diagnostic(Span("f", 2, 1, 2, 4), "E000", "cannot read", "check the path")
    assert render(d, None) == "f:2:1: error[E000]: cannot read\n      = help: check the path"


@pytest.mark.parametrize("span", [
    Span("f", 99, 1, 99, 5), Span("f", 7, 80, 7, 90), Span("f", 7, 3, 9, 2), Span("f", 0, 0, 0, 0),
    Span("f", 7, 10, 7, 2), Span("f", 8, 1, 8, 1)])
def test_odd_spans_never_crash(span):
    out = render(Diagnostic(span, "E1", "m", "h"), SOURCE)
    assert out.startswith(f"f:{span.line}:{span.col}: error[E1]: m")
    if span.line == 7:
        assert out.splitlines()[2].count("^") >= 1


def test_tabs_are_expanded_consistently():
    src = "model {\n\tdesne(1)\n}"
    out = render(Diagnostic(Span("f", 2, 2, 2, 7), "E102", "unknown layer"), src)
    _, code, carets = out.splitlines()
    assert "\t" not in code
    assert code.index("desne") == carets.index("^") and carets.count("^") == 5


def test_long_line_numbers_and_color():
    src = "\n" * 123456 + "x"
    out = render(Diagnostic(Span("f", 123457, 1, 123457, 2), "E1", "m"), src)
    assert out.splitlines()[1] == "123457 | x"
    colored = render(Diagnostic(Span("f", 7, 3, 7, 8), "E1", "m", "h"), SOURCE, color=True)
    assert "\033[" in colored and "desne" in colored


def test_render_all_from_checker():
    text = ("data { source = iris }\nmodel {\n  input [4]\n  desne(3)\n}\nloss = cross_entropy\n"
            "optimizer = adma()\ntrain { epochs = 5 }\n")
    with pytest.raises(RecipeError) as e:
        check_source(text, "r.recipe", ["train.epochs=x"])
    out = render_all(e.value)
    assert "r.recipe:4:3: error[E102]: unknown layer `desne`\n    4 |   desne(3)\n" in out
    assert "r.recipe:7:13: error[E104]: unknown optimizer `adma`" in out
    assert "<--set>:1:14: error[E201]" in out
    assert out.endswith("3 errors found")
    single = RecipeError([Diagnostic(Span("f", 1, 1, 1, 2), "E001", "x")], "a = \n")
    assert render_all(single) == "f:1:1: error[E001]: x\n    1 | a =\n      | ^"


# ---- terminal safety: nothing a recipe holds reaches the terminal as a control character --

@pytest.mark.parametrize("raw, shown", [
    ("\x1b[2J", "\\x1b[2J"), ("\x07", "\\x07"), ("\r", "\\x0d"), ("\x00", "\\x00"),
    ("\x7f", "\\x7f"), ("\x9b", "\\x9b"), ("\u202e", "\\u202e"), ("\U000e0001", "\\U000e0001"),
    ("\xa0", "\\xa0"), ("é 中", "é 中"),
], ids=["esc", "bel", "cr", "nul", "del", "c1-csi", "bidi-override", "tag", "nbsp", "text"])
def test_printable_escapes_what_a_terminal_acts_on(raw, shown):
    from recipec.compiler.diagnostics import printable
    assert printable(raw) == shown


def test_source_line_message_and_hint_are_escaped_and_the_caret_lines_up():
    src = 'x = "\x1b]0;pwned\x07" \u202e中 desne\x1b[0m\r\n'
    col = src.index("desne") + 1
    d = Diagnostic(Span("f\x1b.recipe", 1, col, 1, col + 5), "E102", "unknown `\x1b[31m`",
                   "see \x9b1m")
    header, code, carets, help_line = render(d, src).splitlines()
    assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0 for ch in render(d, src)
                   if ch != "\n")
    assert header == "f\\x1b.recipe:1:%d: error[E102]: unknown `\\x1b[31m`" % col
    assert code.endswith('x = "\\x1b]0;pwned\\x07" \\u202e中 desne\\x1b[0m')
    # 中 takes two terminal columns: the caret is one column further than its index
    assert carets.index("^") == code.index("desne") + 1 and carets.count("^") == 5
    assert help_line.endswith("help: see \\x9b1m")


def test_unexpected_control_character_is_echoed_escaped():
    with pytest.raises(RecipeError) as e:
        check_source("model { \x1b[31m }", "r.recipe")
    [d] = e.value.diagnostics
    assert d.code == "E001" and "`\\x1b`" in d.message and "\x1b" not in str(e.value)
    assert "\x1b" not in render_all(e.value)
    assert render_all(e.value).splitlines()[2] == "      |         ^^^^"   # under `\x1b`


def test_over_long_integer_is_a_syntax_error_not_a_crash():
    text = "model { input [4] dense(" + "9" * 5000 + ") }"
    with pytest.raises(RecipeError) as e:
        check_source(text, "r.recipe")
    [d] = e.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E001", 1, 25) and "5000 digits" in d.message
