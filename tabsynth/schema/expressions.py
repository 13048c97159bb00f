"""The schema's constraint language: a small, safe expression language over columns.

Constraints are public (part of the schema); ``tabsynth.sampling.constraints.Critic``
enforces them at sampling, which costs no privacy. An expression is parsed with Python's
``ast`` into a polars expression; only these nodes are
allowed, so nothing is ever evaluated as code:

* column names and constants (numbers, strings, true/false, none);
* arithmetic ``+ - * /`` and unary ``-``;
* comparisons ``< <= > >= == !=`` (chains such as ``18 <= age <= 70``), and ``in`` /
  ``not in`` a list of constants;
* ``and``, ``or``, ``not``; an implication ``A -> B`` is written ``not (A) or (B)``.

Examples: ``Debt <= Assets``; ``Amount <= Price``; ``0 <= Seniority <= Age - 14``;
``not (Home == 'owner') or Assets > 0``; ``Marital in ['married', 'widow'] or Age < 60``.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import polars as pl

from tabsynth.errors import Problem

_CMP = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITH = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_NAMES = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


def _const(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _const(node.operand, text)
        if isinstance(value, int | float):
            return -value
    raise ValueError(f"only constants are allowed inside a list in {text!r}")


def _to_expr(node: ast.AST, columns: set[str], text: str) -> pl.Expr:  # noqa: PLR0911
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return pl.lit(_NAMES[node.id])
        if node.id not in columns:
            raise ValueError(f"unknown column {node.id!r} in {text!r}")
        return pl.col(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return pl.lit(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _ARITH[type(node.op)](
            _to_expr(node.left, columns, text), _to_expr(node.right, columns, text)
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_to_expr(node.operand, columns, text)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_to_expr(node.operand, columns, text)
    if isinstance(node, ast.BoolOp):
        parts = [_to_expr(v, columns, text) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.Compare):
        return _compare(node, columns, text)
    raise ValueError(f"{type(node).__name__} is not allowed in a constraint ({text!r})")


def _compare(node: ast.Compare, columns: set[str], text: str) -> pl.Expr:
    left = node.left
    out: pl.Expr | None = None
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right, ast.List | ast.Tuple | ast.Set):
                raise ValueError(f"'in' needs a list of constants in {text!r}")
            values = [_const(v, text) for v in right.elts]
            term = _to_expr(left, columns, text).is_in(values)
            term = ~term if isinstance(op, ast.NotIn) else term
        elif type(op) in _CMP:
            term = _CMP[type(op)](_to_expr(left, columns, text), _to_expr(right, columns, text))
        else:
            raise ValueError(f"{type(op).__name__} is not allowed in {text!r}")
        out = term if out is None else out & term
        left = right
    assert out is not None
    return out


def compile_constraint(text: str, columns: set[str]) -> pl.Expr:
    """A polars boolean expression for ``text`` (ValueError if it is not allowed)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {text!r}: {exc.msg}") from None
    return _to_expr(tree.body, columns, text)


def constraint_problems(constraints: list[str], columns: set[str]) -> list[Problem]:
    """Every constraint that does not parse or names an unknown column."""
    problems = []
    for i, text in enumerate(constraints):
        try:
            compile_constraint(text, columns)
        except ValueError as exc:
            problems.append(
                Problem(
                    f"constraints[{i}]",
                    str(exc),
                    "use columns, constants, + - * /, comparisons, in, and, "
                    "or, not (see tabsynth.sampling.constraints)",
                )
            )
    return problems
