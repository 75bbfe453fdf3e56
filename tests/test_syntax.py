"""Parser: value forms, units, comments, spans, LALR-cleanliness and E001 messages."""
import lark
import pytest
from lark.parsers.lalr_analysis import LALR_Analyzer

from recipec.compiler.diagnostics import RecipeError, Span
from recipec.compiler.syntax import ast, parse, parse_bytes, parse_value
from recipec.compiler.syntax.parser import grammar_text


def value(text):
    stmt = parse(f"x = {text}", "t.recipe").body[0]
    assert isinstance(stmt, ast.Assign)
    return stmt.value


def syntax_error(text):
    with pytest.raises(RecipeError) as e:
        parse(text, "t.recipe")
    [d] = e.value.diagnostics
    assert d.code == "E001"
    return d


def test_grammar_has_no_lalr_conflicts():
    parser = lark.Lark(grammar_text(), parser="lalr", start=["start", "value"])
    LALR_Analyzer(parser.parser.parser_conf, strict=True).compute_lalr()  # raises on conflicts


@pytest.mark.parametrize("text, expected", [
    ("30", 30), ("-1", -1), ("0.2", 0.2), ("1e-3", 1e-3), ("3e1", 30.0), (".5", 0.5)])
def test_numbers_keep_int_or_float(text, expected):
    v = value(text)
    assert isinstance(v, ast.Number) and v.value == expected
    assert type(v.value) is type(expected)


@pytest.mark.parametrize("text, amount, unit", [
    ("10 epochs", 10, "epochs"), ("1 epoch", 1, "epoch"), ("500 steps", 500, "steps"),
    ("1 step", 1, "step")])
def test_units(text, amount, unit):
    v = value(text)
    assert isinstance(v, ast.Quantity) and (v.number.value, v.unit) == (amount, unit)


def test_key_named_like_a_unit_is_still_a_name():
    f = parse("train { batch = 32 epochs = 30 steps = 2 }", "t")
    keys = [(a.key, a.value) for a in f.body[0].body]
    assert [k for k, _ in keys] == ["batch", "epochs", "steps"]
    assert all(isinstance(v, ast.Number) for _, v in keys)


def test_strings_names_calls_lists():
    assert value('"a \\"b\\" c"') == ast.Str('a "b" c', Span("t.recipe", 1, 5, 1, 16))
    assert isinstance(value("standard"), ast.Name)
    c = value('csv("f.csv", label = "species",)')
    assert isinstance(c, ast.Call) and c.name == "csv"
    assert [a.name for a in c.args] == [None, "label"]
    assert value("digits()").args == ()
    lst = value("[1, 28, 28]")
    assert [i.value for i in lst.items] == [1, 28, 28]
    assert value("[accuracy, loss,]").items[1].value == "loss"
    assert value("[]").items == ()


def test_comments_whitespace_and_header():
    f = parse("# top\nrecipe  my_net # name\n\n  loss=mse#x\n", "t")
    assert f.name == "my_net" and f.name_span == Span("t", 2, 9, 2, 15)
    assert f.body[0].key == "loss" and f.body[0].value.value == "mse"


def test_statement_forms_and_spans():
    f = parse("model {\n  input [64]\n  dense(128, init = he) relu\n  residual { relu }\n}", "m")
    model = f.body[0]
    assert model.name == "model" and model.span == Span("m", 1, 1, 5, 2)
    inp, dense, relu, res = model.body
    assert inp.shape.items[0].value == 64 and inp.args is None and inp.body is None
    assert dense.span == Span("m", 3, 3, 3, 24) and dense.name_span == Span("m", 3, 3, 3, 8)
    assert dense.args[0].value.span == Span("m", 3, 9, 3, 12)
    assert dense.args[1].name_span == Span("m", 3, 14, 3, 18)
    assert relu.span == Span("m", 3, 25, 3, 29) and relu.args is None
    assert res.body[0].name == "relu"


def test_parse_value_for_overrides():
    v = parse_value("   adam(lr = 0.1)", "<--set>")
    assert isinstance(v, ast.Call) and v.span.col == 4


@pytest.mark.parametrize("text, line, col, words", [
    ("data {\n  x = \n}", 3, 1, "expected a value after `=`"),
    ("data {\n  x = 1\n}\nmodel {\n  dense(3)\n", 4, 7, "unclosed `{` opened at line 4"),
    ("a = b(1,,)", 1, 9, "expected a value or `)`"),
    ('a = "abc\n', 1, 5, "unterminated string"),
    ("a = b(1]", 1, 8, "mismatched `]`"),
    ("}", 1, 1, "unmatched `}`"),
    ("x = 1 @", 1, 7, "unexpected character `@`"),
    ("recipe", 1, 7, "expected the recipe's name"),
    ("data { x 1 }", 1, 10, "expected"),
])
def test_syntax_errors_in_plain_words(text, line, col, words):
    d = syntax_error(text)
    assert words in d.message
    assert (d.span.line, d.span.col) == (line, col)
    assert "Token" not in d.message and "Expected one of" not in d.message


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n# another"])
def test_empty_recipe(text):
    assert syntax_error(text).message.startswith("empty recipe: expected sections data, model")


def test_nul_and_bad_utf8():
    assert "NUL" in syntax_error("loss = mse\x00").message
    with pytest.raises(RecipeError) as e:
        parse_bytes(b"loss = mse\ndata { x = \xff }", "b.recipe")
    d = e.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.col) == ("E001", 2, 12)
    assert "0xff" in d.message
    assert parse_bytes("\ufeffloss = mse".encode(), "b").body[0].key == "loss"


def test_deep_nesting_is_a_diagnostic():
    with pytest.raises(RecipeError):
        parse("x = " + "[" * 5000 + "]" * 5000, "t")
