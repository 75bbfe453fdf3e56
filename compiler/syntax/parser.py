"""Text -> `ast.File`. Every failure is a `RecipeError` with code E001, never a Lark traceback.

The Lark transformer below only builds AST nodes; Lark's error objects are translated into
plain-words messages ("expected a value after `=`", "unclosed `{` opened at line 3").
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from ..diagnostics import Diagnostic, RecipeError, Span, printable
from . import ast

EMPTY_MESSAGE = ("empty recipe: expected sections data, model, train "
                 "and keys loss, optimizer")
# An integer literal longer than this is refused as written: Python will not turn more than
# 4300 digits into an int (sys.get_int_max_str_digits), and no recipe value needs 40 digits.
MAX_INT_DIGITS = 40


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return files("recipec.grammar").joinpath("recipe.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    # Two start symbols: whole files, and single values for `--set key=value` overrides.
    return Lark(grammar_text(), parser="lalr", propagate_positions=True,
                start=["start", "value"], maybe_placeholders=False)


class _Args(tuple):
    """Marks `( ... )` among a statement's children (vs. its shape list or block)."""


class _Block(tuple):
    """Marks `{ ... }` among a statement's children; `span` covers the braces."""

    span: Span


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@v_args(meta=True)
class _ToAst(Transformer):
    def __init__(self, filename: str):
        super().__init__()
        self.file = filename

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    def start(self, meta, children):
        name = children[0] if len(children) == 2 else None
        return ast.File(name[0] if name else None, children[-1], self._span(meta),
                        name[1] if name else None)

    def header(self, meta, children):
        return (str(children[0]), self._tok(children[0]))

    def body(self, meta, children):
        return tuple(children)

    def block(self, meta, children):
        block = _Block(children[0])
        block.span = self._span(meta)
        return block

    def assign(self, meta, children):
        key, value = children
        return ast.Assign(str(key), value, self._span(meta), self._tok(key))

    def section(self, meta, children):
        name, rest = children[0], children[1:]
        args = next((c for c in rest if isinstance(c, _Args)), None)
        shape = next((c for c in rest if isinstance(c, ast.List)), None)
        body = next((c for c in rest if isinstance(c, _Block)), None)
        return ast.Stmt(str(name), tuple(args) if args is not None else None, shape,
                        tuple(body) if body is not None else None, self._span(meta),
                        self._tok(name), body.span if body is not None else None)

    def call_args(self, meta, children):
        return _Args(children)

    def pos_arg(self, meta, children):
        return ast.Arg(None, children[0], self._span(meta))

    def kw_arg(self, meta, children):
        return ast.Arg(str(children[0]), children[1], self._span(meta), self._tok(children[0]))

    def number(self, meta, children):
        return ast.Number(self._value(children[0]), self._span(meta))

    def quantity(self, meta, children):
        num, unit = children
        return ast.Quantity(ast.Number(self._value(num), self._tok(num)), str(unit),
                            self._span(meta))

    def _value(self, tok: Token) -> int | float:
        digits = len(str(tok).lstrip("+-"))
        if _is_int(str(tok)) and digits > MAX_INT_DIGITS:
            raise RecipeError([Diagnostic(self._tok(tok), "E001", f"integer with {digits} "
                                          "digits is too long: recipe integers fit in 64 bits")])
        return _number(str(tok))

    def string(self, meta, children):
        raw = str(children[0])[1:-1]
        value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw)
        return ast.Str(value, self._span(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), self._span(meta))

    def call(self, meta, children):
        return ast.Call(str(children[0]), tuple(children[1]), self._span(meta),
                        self._tok(children[0]))

    def list(self, meta, children):
        return ast.List(tuple(children), self._span(meta))


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text) is not None


def _number(text: str) -> int | float:
    # int vs float is kept as written: `30` is an int, `30.0` and `3e1` are floats.
    return int(text) if _is_int(text) else float(text)


def _error(filename: str, line: int, col: int, message: str, source: str | None,
           width: int = 1, hint: str | None = None) -> RecipeError:
    span = Span(filename, line, col, line, col + max(width, 1))
    return RecipeError([Diagnostic(span, "E001", message, hint)], source=source)


def _run(text: str, filename: str, start: str):
    nul = text.find("\x00")
    if nul >= 0:
        line, col = _line_col(text, nul)
        raise _error(filename, line, col, "NUL byte in source (is this a binary file?)", text)
    try:
        tree = lark_parser().parse(text, start=start)
        return _ToAst(filename).transform(tree)
    except UnexpectedInput as e:
        raise _syntax_error(e, text, filename) from None
    except VisitError as e:     # a literal the transformer refused (an over-long integer)
        if isinstance(e.orig_exc, RecipeError):
            raise RecipeError(e.orig_exc.diagnostics, source=text) from None
        raise
    except RecursionError:
        raise _error(filename, 1, 1, "nesting is too deep", text) from None


def parse(text: str, filename: str) -> ast.File:
    """Parse a whole recipe; raises RecipeError (E001) on any syntax problem."""
    file = _run(text, filename, "start")
    if file.name is None and not file.body:
        raise _error(filename, 1, 1, EMPTY_MESSAGE, text)
    return file


def parse_value(text: str, filename: str) -> ast.Value:
    """Parse a single value (`5`, `adam(lr = 0.1)`, `[accuracy]`), e.g. from `--set`."""
    return _run(text, filename, "value")


def decode(data: bytes, filename: str) -> str:
    """UTF-8 bytes -> text (an optional BOM is dropped); bad bytes are an E001 at that byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[:e.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise _error(filename, line, col, f"invalid UTF-8 byte 0x{data[e.start]:02x}: "
                     "a recipe must be UTF-8 text", data.decode("utf-8", "replace")) from None


def parse_bytes(data: bytes, filename: str) -> ast.File:
    """Decode (see `decode`) and parse a recipe read as bytes."""
    return parse(decode(data, filename), filename)


# ---- turning Lark errors into plain words -------------------------------------------------

_WORDS = {"NAME": "a name", "NUMBER": "a number", "STRING": "a string",
          "UNIT": "a unit (`epochs` or `steps`)", "EQUAL": "`=`", "LPAR": "`(`", "RPAR": "`)`",
          "LSQB": "`[`", "RSQB": "`]`", "LBRACE": "`{`", "RBRACE": "`}`", "COMMA": "`,`",
          "RECIPE": "`recipe`", "$END": "end of file"}
_VALUE_START = {"NAME", "NUMBER", "STRING", "LSQB"}
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _words(expected) -> str:
    names = set(expected)
    items = []
    if _VALUE_START <= names:
        items.append("a value")
        names -= _VALUE_START
    items += [_WORDS[n] for n in _WORDS if n in names]
    items += sorted(n for n in names if n not in _WORDS)
    if not items:
        return "something else"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type in ("NAME", "NUMBER", "STRING"):
        return f"{_WORDS[tok.type][2:]} `{printable(str(tok))}`"
    return f"`{printable(str(tok))}`"


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _brackets(text: str, stop: int):
    """Scan brackets in text[:stop] (skipping strings and comments).

    Returns ("unmatched", pos, closer, opener_or_None) for the first bad closer, else
    ("open", stack) with the still-open brackets as (pos, char)."""
    stack, i = [], 0
    while i < stop:
        c = text[i]
        if c == "#":
            i = text.find("\n", i)
            i = stop if i < 0 else i
        elif c == '"':
            m = re.compile(r'"([^"\\\n]|\\[^\n])*"?').match(text, i)
            i = m.end() - 1
        elif c in _PAIRS:
            stack.append((i, c))
        elif c in ")]}":
            if not stack or _PAIRS[stack[-1][1]] != c:
                return ("unmatched", i, c, stack[-1] if stack else None)
            stack.pop()
        i += 1
    return ("open", stack)


def _prev_token(text: str, pos: int) -> str | None:
    try:
        toks = list(lark_parser().lex(text[:pos]))
    except Exception:  # the prefix itself may not lex; then we just say less
        return None
    return str(toks[-1]) if toks else None


def _accepts(e: UnexpectedToken) -> set[str]:
    # LALR merges lookaheads of similar states, so `e.expected` may list tokens that are not
    # valid here; the interactive parser can tell exactly which ones would be accepted.
    try:
        return set(e.interactive_parser.accepts()) or set(e.expected)
    except Exception:
        return set(e.expected)


def _syntax_error(e: UnexpectedInput, text: str, filename: str) -> RecipeError:
    at_end = isinstance(e, UnexpectedToken) and e.token.type == "$END"
    pos = getattr(e, "pos_in_stream", None)
    pos = len(text) if pos is None or at_end else pos
    line, col = _line_col(text, pos)
    scan = _brackets(text, len(text) if at_end else pos + 1)
    if scan[0] == "unmatched":
        _, bpos, closer, opener = scan
        bl, bc = _line_col(text, bpos)
        if opener is None:
            return _error(filename, bl, bc, f"unmatched `{closer}`: nothing to close here", text)
        ol, oc = _line_col(text, opener[0])
        return _error(filename, bl, bc, f"mismatched `{closer}`: `{opener[1]}` opened at "
                      f"line {ol}:{oc} must be closed with `{_PAIRS[opener[1]]}` first", text)
    if at_end and scan[1]:
        opos, opener = scan[1][-1]
        ol, oc = _line_col(text, opos)
        return _error(filename, ol, oc, f"unclosed `{opener}` opened at line {ol}: expected "
                      f"`{_PAIRS[opener]}` before the end of file", text)
    if isinstance(e, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else ""
        if ch == '"':
            return _error(filename, line, col, "unterminated string: missing the closing `\"` "
                          "on this line", text)
        allowed = getattr(e, "allowed", None)
        tail = f"; expected {_words(allowed)}" if allowed else ""
        # the character itself may be ESC or another control: echo it as an escape
        return _error(filename, line, col, f"unexpected character `{printable(ch)}`{tail}",
                      text, width=len(ch))
    if isinstance(e, UnexpectedToken):
        tok, width = e.token, max(len(str(e.token)), 1)
        if at_end:
            line, col = _line_col(text, len(text.rstrip()))
        prev = _prev_token(text, pos)
        expected = _accepts(e)
        if prev == "=":
            msg = f"expected a value after `=`, got {_describe(tok)}"
        elif prev == "recipe" and tok.type != "NAME":
            msg = f"expected the recipe's name after `recipe`, got {_describe(tok)}"
        else:
            msg = f"expected {_words(expected)}, got {_describe(tok)}"
        hint = None
        if tok.type in ("NUMBER", "STRING", "LSQB") and "EQUAL" in expected:
            hint = "a setting is written `key = value`"
        return _error(filename, line, col, msg, text, 1 if at_end else width, hint)
    return _error(filename, line, col, f"syntax error: {printable(str(e))}", text)
