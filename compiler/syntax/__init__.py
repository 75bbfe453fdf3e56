"""Front end: .recipe text -> frozen AST (`ast`) with source spans."""
from . import ast
from .parser import decode, parse, parse_bytes, parse_value

__all__ = ["ast", "decode", "parse", "parse_bytes", "parse_value"]
