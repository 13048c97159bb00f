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

Types are checked against the schema when it is validated: arithmetic and ``< <= > >=`` on
numbers (or on two datetimes), ``== != in`` between values of one type (a categorical with
strings, a boolean with true/false), ``and or not`` on conditions. Size is bounded, so a
constraint can never stall sampling: at most ``MAX_CHARS`` characters, ``MAX_NODES`` syntax
nodes and ``MAX_DEPTH`` levels of nesting; ``and``/``or`` chains compile to one flat
(horizontal) polars expression.
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
MAX_CHARS = 2_000
MAX_NODES = 1_000
MAX_DEPTH = 40
# a column's kind -> the type of its values in a constraint
_VALUE = {
    "numerical": "number",
    "categorical": "string",
    "identifier": "string",
    "text": "string",
    "boolean": "boolean",
    "datetime": "datetime",
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
        return (
            pl.all_horizontal(parts) if isinstance(node.op, ast.And) else pl.any_horizontal(parts)
        )
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


def _parse(text: str) -> ast.expr:
    """The syntax tree of ``text``, within the size bounds (ValueError otherwise)."""
    if len(text) > MAX_CHARS:
        raise ValueError(f"a constraint of {len(text):,} characters (more than {MAX_CHARS:,})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {text!r}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"a constraint nested too deeply (more than {MAX_DEPTH} levels)") from None
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"a constraint nested more than {MAX_DEPTH} levels deep")
        if nodes > MAX_NODES:
            raise ValueError(f"a constraint of more than {MAX_NODES} syntax nodes")
        stack += [(c, depth + 1) for c in ast.iter_child_nodes(node)]
    return tree.body


def _type(node: ast.AST, kinds: dict[str, str], text: str) -> str:  # noqa: PLR0911, PLR0912
    """The type of ``node``'s values: number, string, boolean, datetime or null."""
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return "null" if _NAMES[node.id] is None else "boolean"
        return _VALUE.get(kinds.get(node.id, ""), "string")
    if isinstance(node, ast.Constant):
        c = node.value
        return "boolean" if isinstance(c, bool) else "string" if isinstance(c, str) else "number"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _want(node.operand, "boolean", kinds, text, "not")
        return "boolean"
    if isinstance(node, ast.UnaryOp):
        _want(node.operand, "number", kinds, text, "-")
        return "number"
    if isinstance(node, ast.BinOp):
        _want(node.left, "number", kinds, text, "arithmetic")
        _want(node.right, "number", kinds, text, "arithmetic")
        return "number"
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _want(v, "boolean", kinds, text, "and/or")
        return "boolean"
    if isinstance(node, ast.Compare):
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            _check_compare(left, op, right, kinds, text)
            left = right
        return "boolean"
    return "unknown"


def _want(node: ast.AST, want: str, kinds: dict[str, str], text: str, what: str) -> None:
    got = _type(node, kinds, text)
    if got not in (want, "unknown"):
        raise ValueError(f"{what} needs {want}s, but {ast.unparse(node)!r} is a {got} in {text!r}")


def _check_compare(
    left: ast.AST, op: ast.cmpop, right: ast.AST, kinds: dict[str, str], text: str
) -> None:
    a = _type(left, kinds, text)
    if isinstance(op, ast.In | ast.NotIn):
        elts = right.elts if isinstance(right, ast.List | ast.Tuple | ast.Set) else []
        types = {_type(e, kinds, text) for e in elts} - {"null"}
        if types - {a}:
            raise ValueError(
                f"{ast.unparse(left)!r} is a {a} but its list holds {sorted(types - {a})} "
                f"in {text!r}"
            )
        return
    b = _type(right, kinds, text)
    pair = f"{ast.unparse(left)!r} ({a}) and {ast.unparse(right)!r} ({b})"
    if isinstance(op, ast.Eq | ast.NotEq):
        if "null" not in (a, b) and a != b:
            raise ValueError(f"== and != compare values of one type, not {pair} in {text!r}")
        return
    if not (a == b and a in ("number", "datetime")):
        raise ValueError(
            f"< <= > >= compare numbers (or two datetimes), not {pair} in {text!r}; "
            "compare categories with == or in"
        )


def compile_constraint(text: str, columns: set[str] | dict[str, str]) -> pl.Expr:
    """A polars boolean expression for ``text`` (ValueError if it is not allowed); with
    ``columns`` as ``{name: kind}`` its types are checked too."""
    tree = _parse(text)
    failed: Exception | None = None
    try:  # the allowed syntax and known columns first (ValueError names what is not)
        expr = _to_expr(tree, set(columns), text)
    except (TypeError, pl.exceptions.PolarsError) as exc:  # e.g. a list of mixed types
        failed = exc
    if isinstance(columns, dict):
        _want(tree, "boolean", columns, text, "a constraint")
    if failed is not None:
        raise ValueError(f"cannot compile {text!r}: {str(failed).splitlines()[0]}")
    return expr


def constraint_problems(
    constraints: list[str], columns: set[str] | dict[str, str]
) -> list[Problem]:
    """Every constraint that does not parse, names an unknown column, mixes types (with
    ``columns`` as ``{name: kind}``) or exceeds the size bounds."""
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
                    "or, not (see tabsynth.schema.expressions)",
                )
            )
    return problems


def compile_formula(text: str, kinds: dict[str, str]) -> pl.Expr:
    """A polars expression for the arithmetic ``text`` over numerical columns (a derived
    column's ``formula``); ValueError if it is not allowed or not a number."""
    tree = _parse(text)
    bad = sorted({c for c in formula_columns(text) if kinds.get(c) != "numerical"})
    if bad:
        raise ValueError(f"a formula reads numerical columns only, not {bad} in {text!r}")
    expr = _to_expr(tree, set(kinds), text)
    if _type(tree, kinds, text) != "number":
        raise ValueError(f"{text!r} is not arithmetic (use + - * / over numerical columns)")
    return expr


def formula_columns(text: str) -> list[str]:
    """The column names ``text`` reads (in order of first use)."""
    tree = _parse(text)
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _NAMES]
    return list(dict.fromkeys(names))
