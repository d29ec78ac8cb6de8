"""Every error code stands for one failure, and docs/errors.md lists them all.

A code is defined where voc raises it: a `code="E..."` argument, an error
class's default `code`, or a message that starts with "[E...]" (the CLI's
one-line OSError, alert delivery's "not tried" notes). Each code must have
exactly one such site, and every raise of a generic error class must name
its code. `python tests/test_errors.py` rewrites docs/errors.md from the
sites; the test fails when the file is out of date.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOC = ROOT / "voc"
DOC = ROOT / "docs" / "errors.md"
CODE = re.compile(r"E\d{3}")
IN_MESSAGE = re.compile(r"\[(E\d{3})\]\s*")
# Classes that stand for one failure may be raised from several places without a code of their own.
ONE_FAILURE_CLASSES = {"StoreLockedError"}
RANGES = {"E0": "any", "E1": "configuration", "E2": "input data", "E3": "store", "E4": "models",
          "E5": "stages", "E6": "delivery"}  # fmt: skip


@dataclass(frozen=True)
class Site:
    """One place a code is defined: the file, line, error class and the message as written."""

    code: str
    path: str
    line: int
    kind: str
    message: str


def _text(node: ast.AST | None) -> str:
    """A message as written: literal text, with each f-string field shown as {expression}."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"  # type: ignore[attr-defined]
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "invalid config:" + details
        return _text(node.left) + _text(node.right)
    return "{" + ast.unparse(node) + "}"


def _error_classes(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Error class -> (its default code, its docstring), from voc/errors.py."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                target = (
                    stmt.target
                    if isinstance(stmt, ast.AnnAssign)
                    else (stmt.targets[0] if isinstance(stmt, ast.Assign) else None)
                )
                if (
                    isinstance(target, ast.Name)
                    and target.id == "code"
                    and isinstance(stmt.value, ast.Constant)
                ):  # type: ignore[union-attr]
                    out[node.name] = (stmt.value.value, ast.get_docstring(node) or "")  # type: ignore[union-attr]
    return out


def scan() -> tuple[list[Site], list[str]]:
    """Every code definition site under voc/, and the raises of generic error classes that name no code."""
    classes = _error_classes(ast.parse((VOC / "errors.py").read_text(encoding="utf-8")))
    sites = [Site(code, "voc/errors.py", 0, name, doc) for name, (code, doc) in classes.items()]
    uncoded: list[str] = []
    for path in sorted(VOC.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        # A docstring may quote a message ("[E601] webhook ...") without defining the code.
        docstrings = {
            id(n.body[0].value)  # type: ignore[attr-defined]
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                if (
                    isinstance(code, ast.Constant)
                    and isinstance(code.value, str)
                    and CODE.fullmatch(code.value)
                ):
                    sites.append(
                        Site(code.value, rel, node.lineno, name, _text(node.args[0] if node.args else None))
                    )
                elif name in classes and name not in ONE_FAILURE_CLASSES and code is None:
                    uncoded.append(f"{rel}:{node.lineno} {name}(...) without code=")
            elif isinstance(node, ast.JoinedStr | ast.Constant) and id(node) not in docstrings:
                text = _text(node)
                m = IN_MESSAGE.search(text)
                if m:
                    sites.append(Site(m.group(1), rel, node.lineno, "message", text[m.end() :]))
    return _drop_nested(sites), uncoded


def _drop_nested(sites: list[Site]) -> list[Site]:
    """An f-string's literal parts are walked on their own too; keep one site per (file, line, code)."""
    seen, out = set(), []
    for s in sites:
        key = (s.path, s.line, s.code, s.kind)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def render(sites: list[Site]) -> str:
    """docs/errors.md: every code, what it means and the fix, as the message says them."""
    lines = [
        "# Error codes",
        "",
        "Every failure voc reports on purpose carries a code that stands for that failure alone (`[E206] ...`).",
        "The message names the offending value and says the fix; `{...}` below is filled in with the actual",
        "values. Ranges: E1xx configuration, E2xx input data, E3xx store, E4xx models, E5xx stages,",
        "E6xx delivery. Generated from the source by `python tests/test_errors.py` (tests/test_errors.py",
        "fails when this file is out of date or a code is used for two failures).",
        "",
        "| Code | Error | Where | Message (meaning and fix) |",
        "|---|---|---|---|",
    ]
    for s in sorted(sites, key=lambda s: (s.code, s.path, s.line)):
        msg = " ".join(s.message.split()).replace("|", "\\|")
        lines.append(f"| {s.code} | {s.kind} | `{s.path}` | {msg} |")
    return "\n".join(lines) + "\n"


def test_each_code_stands_for_one_failure() -> None:
    sites, _ = scan()
    by_code: dict[str, list[Site]] = defaultdict(list)
    for s in sites:
        by_code[s.code].append(s)
    reused = {
        c: [f"{s.path}:{s.line} {s.message[:60]!r}" for s in ss] for c, ss in by_code.items() if len(ss) > 1
    }
    assert not reused, f"codes defined at more than one place (give each failure its own code): {reused}"


def test_every_raise_of_a_generic_error_names_its_code() -> None:
    _, uncoded = scan()
    assert not uncoded, uncoded


def test_the_scan_sees_every_kind_of_site() -> None:
    sites, _ = scan()
    kinds = {(s.code, s.kind) for s in sites}
    assert ("E206", "InputError") in kinds and ("E301", "StoreLockedError") in kinds
    assert ("E215", "message") in kinds and ("E610", "message") in kinds
    assert len({s.code for s in sites}) > 100


def test_docs_list_every_code() -> None:
    sites, _ = scan()
    assert DOC.read_text(encoding="utf-8") == render(sites), (
        "docs/errors.md is stale: run python tests/test_errors.py"
    )


if __name__ == "__main__":
    DOC.write_text(render(scan()[0]), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
