"""Which statuses and error codes a route can answer, read from the code itself (static analysis of its call graph).

The OpenAPI document declares, for every operation, each status it may answer with the error codes it may carry;
tests/unit/test_openapi_statuses.py fails when a route can answer a status (or a code) its operation does not declare.
Both sides come from here, never from a hand-kept list:

- the router's own steps for the route (`shared.http.router.pipeline`: 400/413/415/422 for a body, 401/403 for the
  token and roles, 404 for path parameters, 503 when the database is unavailable);
- every `AppError` (shared/errors.py: each subclass carries its status) the handler can raise, directly or through
  any function of ours it reaches. The call graph is followed over the AST of our packages: calls resolved through the
  module's names, its function-local imports and closures, parameter annotations (`uow: UnitOfWork` → its methods);
  functions passed as values (`run(service.budget)`); nested functions and lambdas as if they run. A method call on an
  object whose type is unknown is resolved by name to every method of that name in our classes, so the analysis errs
  towards declaring too much, never too little. A `try` removes what its handlers catch; a handler that re-raises
  brings it back, and `raise Unauthorized(exc.code, …)` takes the codes of the caught exception's raise sites.
- answers a handler builds itself: a call whose callee's first parameter is `status` with a literal int
  (`Response(200, …)`, the webhook's `_fail(401, …)`), or the `.status` of a caught exception (`_fail(err.status)`).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from shared.errors import AppError

PACKAGES = ("shared", "functions")
_UNKNOWN = object()


@dataclass(frozen=True)
class Outcome:
    """One way a function can end: an exception it raises (`exc`), or an answer it builds (`exc` None).
    `status` is the HTTP status (None for exceptions the router does not map); `code` the literal error code ("" when
    the code is not a literal); `message` an example message (f-string parts shown as …)."""

    status: int | None
    code: str
    message: str
    exc: type | None
    where: str

    @property
    def answers(self) -> bool:
        """Does the router turn this into an HTTP answer (an AppError, or a response the handler built)?"""
        return self.exc is None or issubclass(self.exc, AppError)


@dataclass
class _Scope:
    names: dict[str, Any]  # function-local imports, closure cells, then the module's globals
    types: dict[str, type]  # parameter name -> its annotated class (`self` -> the method's class)
    local: set[str] = field(default_factory=set)  # parameters and assigned names: they shadow the globals
    bound: dict[str, frozenset[Outcome]] = field(default_factory=dict)  # `except … as name` -> what it caught

    def lookup(self, name: str) -> Any:
        if name in self.local:
            return _UNKNOWN
        if name in self.names:
            return self.names[name]
        return getattr(builtins, name, _UNKNOWN)

    def binding(self, name: str, caught: frozenset[Outcome]) -> _Scope:
        return _Scope(self.names, self.types, self.local, {**self.bound, name: caught})


@dataclass
class _Frame:
    code: CodeType
    recursive: bool = False
    tainted: bool = False


def ours(obj: Any, packages: tuple[str, ...] = PACKAGES) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in packages


def load_all_modules() -> list[ModuleType]:
    """Import every module of our packages (so every class and function can be found)."""
    root = Path(__file__).resolve().parents[2]
    modules = []
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        modules.append(pkg)
        for info in pkgutil.walk_packages([str(root / package)], prefix=f"{package}."):
            modules.append(importlib.import_module(info.name))
    return modules


@cache
def _functions_in(filename: str) -> dict[tuple[str, int], list[ast.AST]]:
    """Every def and lambda of a source file by (name, first line); a decorated def is found by its decorator's
    line too (that is the code object's co_firstlineno)."""
    index: dict[tuple[str, int], list[ast.AST]] = {}
    for node in ast.walk(ast.parse(Path(filename).read_text(encoding="utf-8"), filename)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = {node.lineno, min([node.lineno, *(d.lineno for d in node.decorator_list)])}
            for line in lines:
                index.setdefault((node.name, line), []).append(node)
        elif isinstance(node, ast.Lambda):
            index.setdefault(("<lambda>", node.lineno), []).append(node)
    return index


def _function_nodes(code: CodeType) -> list[ast.AST]:
    try:
        return _functions_in(code.co_filename).get((code.co_name, code.co_firstlineno), [])
    except (OSError, SyntaxError):
        return []


def _text(node: ast.AST | None) -> str | None:
    """A literal string, or an f-string with its replacement fields shown as …"""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def _arg(call: ast.Call, index: int, name: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    return positional[index] if index < len(positional) else None


def _status_first(obj: Any) -> bool:
    """Is `obj` a callable whose first parameter (after self) is `status`: Response, Refused, _fail…"""
    target = obj.__dict__.get("__init__", obj) if isinstance(obj, type) else obj
    if isinstance(obj, type) and target is obj:  # an inherited __init__ (a dataclass defines its own)
        target = getattr(obj, "__init__", obj)
    try:
        params = [p for p in inspect.signature(target).parameters.values() if p.name not in ("self", "cls")]
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0].name == "status"


class CallGraph:
    """Outcomes of our functions, memoised; recursion is iterated to a fixpoint."""

    def __init__(self, packages: tuple[str, ...] = PACKAGES) -> None:
        self.packages = packages
        self._memo: dict[CodeType, frozenset[Outcome]] = {}
        self._done: set[CodeType] = set()
        self._stack: list[_Frame] = []
        self._methods: dict[str, list[Any]] | None = None

    def _ours(self, obj: Any) -> bool:
        return ours(obj, self.packages)

    # --- entry points ---
    def outcomes(self, fn: Any) -> frozenset[Outcome]:
        fn = self._function(fn)
        if fn is None:
            return frozenset()
        code = fn.__code__
        if code in self._done:
            return self._memo[code]
        for index, frame in enumerate(self._stack):
            if frame.code is code:  # recursion: use the current approximation, and iterate the caller to a fixpoint
                frame.recursive = True
                for above in self._stack[index + 1:]:
                    above.tainted = True
                return self._memo.get(code, frozenset())
        frame = _Frame(code)
        self._stack.append(frame)
        try:
            while True:
                frame.recursive = False
                result = self._compute(fn)
                changed = result != self._memo.get(code)
                self._memo[code] = result
                if not (frame.recursive and changed):
                    break
        finally:
            self._stack.pop()
        if not frame.tainted:
            self._done.add(code)
        return result

    def answers(self, fns: Iterable[Any]) -> frozenset[Outcome]:
        """What the router would answer for these functions' outcomes (AppErrors and built responses)."""
        return frozenset(o for fn in fns for o in self.outcomes(fn) if o.answers and o.status is not None)

    # --- one function ---
    def _function(self, obj: Any) -> FunctionType | None:
        obj = inspect.unwrap(obj) if callable(obj) else obj
        if isinstance(obj, MethodType | classmethod | staticmethod):
            obj = obj.__func__
        if isinstance(obj, FunctionType) and self._ours(obj):
            return obj
        return None

    def _compute(self, fn: FunctionType) -> frozenset[Outcome]:
        nodes = _function_nodes(fn.__code__)
        scope = self._scope(fn, nodes)
        out: set[Outcome] = set()
        for node in nodes:
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            body = node.body if isinstance(node.body, list) else [node.body]
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    out |= self._visit(default, scope)
            out |= self._visit_all(body, scope)
        return frozenset(out)

    def _scope(self, fn: FunctionType, nodes: list[ast.AST]) -> _Scope:
        names: dict[str, Any] = dict(fn.__globals__)
        for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
            with contextlib.suppress(ValueError):  # an empty cell (assigned later)
                names[var] = cell.cell_contents
        local: set[str] = set()
        for node in nodes:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    local.add(inner.id)
                elif isinstance(inner, ast.arg):
                    local.add(inner.arg)
        for node in nodes:
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                    for alias in inner.names:
                        names[alias.asname or alias.name] = self._import_from(inner.module, alias.name)
                elif isinstance(inner, ast.Import):
                    for alias in inner.names:
                        names[alias.asname or alias.name.split(".")[0]] = self._import(
                            alias.name if alias.asname else alias.name.split(".")[0])
        scope = _Scope(names, {}, local)
        owner = self._owner(fn)
        for node in nodes:
            for inner in ast.walk(node):
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    args = [*inner.args.posonlyargs, *inner.args.args, *inner.args.kwonlyargs]
                    for i, a in enumerate(args):
                        if a.annotation is not None:
                            annotated = self._annotation(a.annotation, scope)
                            if annotated is not None:
                                scope.types[a.arg] = annotated
                        elif i == 0 and inner is node and owner is not None and a.arg in ("self", "cls"):
                            scope.types[a.arg] = owner
        return scope

    def _owner(self, fn: FunctionType) -> type | None:
        parts = fn.__qualname__.split(".")
        if len(parts) < 2 or "<locals>" in parts:
            return None
        obj: Any = sys.modules.get(fn.__module__)
        for part in parts[:-1]:
            obj = getattr(obj, part, None)
        return obj if isinstance(obj, type) else None

    def _annotation(self, node: ast.AST, scope: _Scope) -> type | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp):  # X | None
            return self._annotation(node.left, scope) or self._annotation(node.right, scope)
        value = self._resolve(node, scope)
        return value if isinstance(value, type) and self._ours(value) else None

    @staticmethod
    def _import(module: str) -> Any:
        try:
            return importlib.import_module(module)
        except ImportError:
            return _UNKNOWN

    def _import_from(self, module: str, name: str) -> Any:
        base = self._import(module)
        if base is _UNKNOWN:
            return _UNKNOWN
        value = getattr(base, name, _UNKNOWN)
        return self._import(f"{module}.{name}") if value is _UNKNOWN else value

    # --- names ---
    def _resolve(self, node: ast.AST, scope: _Scope) -> Any:
        if isinstance(node, ast.Name):
            if node.id in scope.types:
                return _Typed(scope.types[node.id])
            return scope.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value, scope)
            if base is _UNKNOWN:
                return _UNKNOWN
            if isinstance(base, _Typed):
                value = inspect.getattr_static(base.cls, node.attr, _UNKNOWN)
                if isinstance(value, property):
                    return _UNKNOWN
                return getattr(base.cls, node.attr, _UNKNOWN) if value is not _UNKNOWN else _UNKNOWN
            return getattr(base, node.attr, _UNKNOWN)
        return _UNKNOWN

    def _callees(self, func: ast.AST, scope: _Scope) -> list[Any]:
        target = self._resolve(func, scope)
        if target is not _UNKNOWN and not isinstance(target, _Typed):
            if isinstance(target, type):
                if not self._ours(target) or issubclass(target, BaseException):
                    return []
                # Constructing one of our classes runs its own __init__ / __post_init__ (not pydantic's).
                found = []
                for name in ("__init__", "__post_init__"):
                    for klass in target.__mro__:
                        if self._ours(klass) and isinstance(klass.__dict__.get(name), FunctionType):
                            found.append(klass.__dict__[name])
                            break
                return found
            return [target]
        if isinstance(func, ast.Attribute) and target is _UNKNOWN:
            return self._methods_named(func.attr)
        return []

    def _methods_named(self, name: str) -> list[Any]:
        """Every method `name` of our classes: for `obj.name(…)` when obj's type is unknown."""
        if name.startswith("__"):
            return []
        if self._methods is None:
            self._methods = {}
            for module in list(sys.modules.values()):
                if getattr(module, "__name__", "").split(".")[0] not in self.packages:
                    continue
                for cls in vars(module).values():
                    if isinstance(cls, type) and cls.__module__ == module.__name__:
                        for attr, value in vars(cls).items():
                            if isinstance(value, FunctionType | classmethod | staticmethod):
                                self._methods.setdefault(attr, []).append(value)
        return self._methods.get(name, [])

    # --- statements and expressions ---
    def _visit_all(self, nodes: Iterable[ast.AST], scope: _Scope) -> set[Outcome]:
        out: set[Outcome] = set()
        for node in nodes:
            out |= self._visit(node, scope)
        return out

    def _visit(self, node: ast.AST, scope: _Scope) -> set[Outcome]:
        if isinstance(node, ast.Try):
            return self._visit_try(node, scope)
        if isinstance(node, ast.Raise):
            out = self._raised(node.exc, scope) if node.exc is not None else set()
            if isinstance(node.exc, ast.Call):
                out |= self._visit_call_parts(node.exc, scope)
            return out
        if isinstance(node, ast.Call):
            return self._visit_call(node, scope)
        return self._visit_all(ast.iter_child_nodes(node), scope)

    def _visit_try(self, node: ast.Try, scope: _Scope) -> set[Outcome]:
        remaining = self._visit_all(node.body, scope)
        out: set[Outcome] = set()
        for handler in node.handlers:
            types = self._exception_types(handler.type, scope)
            caught = {o for o in remaining if o.exc is not None and (types is None or issubclass(o.exc, types))}
            remaining -= caught
            inner = scope
            if handler.name:
                inner = scope.binding(handler.name, frozenset(caught))
                for stmt in ast.walk(handler):  # `refused = exc`: the alias names the same exception
                    if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
                            and stmt.value.id == handler.name):
                        for target in stmt.targets:
                            if isinstance(target, ast.Name):
                                inner = inner.binding(target.id, frozenset(caught))
            out |= self._visit_all(handler.body, inner)
            if _reraises(handler):
                out |= caught
        out |= remaining
        out |= self._visit_all([*node.orelse, *node.finalbody], scope)
        return out

    def _exception_types(self, node: ast.AST | None, scope: _Scope) -> tuple[type, ...] | None:
        if node is None:
            return None  # a bare except catches everything
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        types = tuple(t for t in (self._resolve(p, scope) for p in parts) if isinstance(t, type))
        return types if types else ()

    def _visit_call(self, call: ast.Call, scope: _Scope) -> set[Outcome]:
        out = self._visit_call_parts(call, scope)
        for target in self._callees(call.func, scope):
            out |= self.outcomes(target)
        out |= self._published(call, scope)
        target = self._resolve(call.func, scope)
        if (target is not _UNKNOWN and not (isinstance(target, type) and issubclass(target, BaseException))
                and callable(target) and _status_first(target)):
            for status in self._ints(_arg(call, 0, "status"), scope, "status"):
                message = _text(_arg(call, 1, "message")) or ""
                out.add(Outcome(status, "", message, None, self._where(call)))
        return out

    def _published(self, call: ast.Call, scope: _Scope) -> set[Outcome]:
        """`uow.publish(SomeEvent(…))` runs the event's in-transaction subscribers in the caller's transaction: what
        they raise reaches the handler. They are found in the subscriber table (data), not in the call graph."""
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "publish" and call.args
                and isinstance(call.args[0], ast.Call)):
            return set()
        from shared import subscriptions
        from shared.events import Event

        event = self._resolve(call.args[0].func, scope)
        if not (isinstance(event, type) and issubclass(event, Event)):
            return set()
        out: set[Outcome] = set()
        for sub in subscriptions.subscribers(event.name):
            if sub.mode == subscriptions.IN_TRANSACTION:
                out |= self.outcomes(sub.resolve())
        return out

    def _visit_call_parts(self, call: ast.Call, scope: _Scope) -> set[Outcome]:
        out = self._visit(call.func, scope) if not isinstance(call.func, ast.Name) else set()
        for value in [*call.args, *(kw.value for kw in call.keywords)]:
            out |= self._visit(value, scope)
            if isinstance(value, ast.Name | ast.Attribute):  # a function passed as a value: run(service.budget)
                ref = self._resolve(value, scope)
                if self._function(ref) is not None:
                    out |= self.outcomes(ref)
        return out

    def _ints(self, node: ast.AST | None, scope: _Scope, attr: str) -> set[int]:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return {node.value}
        if (isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name)
                and node.value.id in scope.bound):
            return {o.status for o in scope.bound[node.value.id] if o.status is not None}
        return set()

    def _raised(self, exc: ast.AST, scope: _Scope) -> set[Outcome]:
        where = self._where(exc)
        if isinstance(exc, ast.Name) and exc.id in scope.bound:
            return set(scope.bound[exc.id])  # `raise err` of what a handler caught
        call = exc if isinstance(exc, ast.Call) else None
        target = self._resolve(call.func if call else exc, scope)
        factory = False
        if (call is not None and isinstance(call.func, ast.Attribute) and not isinstance(target, type)):
            owner = self._resolve(call.func.value, scope)  # ValidationFailed.field(…), MethodNotAllowed.allowing(…)
            if isinstance(owner, type) and issubclass(owner, AppError):
                target, factory = owner, True
        if not (isinstance(target, type) and issubclass(target, BaseException)):
            return set()
        if not issubclass(target, AppError):
            status = None
            codes = {""}
            if call is not None and _status_first(target):
                statuses = self._ints(_arg(call, 0, "status"), scope, "status")
                status = next(iter(statuses), None)
                codes = {_text(_arg(call, 1, "outcome")) or ""}
            elif call is not None:
                codes = {_text(_arg(call, 0, "code")) or ""}
            message = (_text(_arg(call, 1, "message")) or "") if call is not None else ""
            return {Outcome(status, c, message, target, where) for c in codes}
        if call is None or factory or target.__init__ is not AppError.__init__:
            message = ""
            if call is not None and factory:
                field_name, text = _text(_arg(call, 0, "field")), _text(_arg(call, 1, "message"))
                if field_name is not None and text is not None:
                    message = f"参数校验失败：{field_name} {text}"
            return {Outcome(target.status, target.code, message or target.message, target, where)}
        code_node = _arg(call, 0, "code")
        message = _text(_arg(call, 1, "message")) or target.message
        if code_node is None:
            codes = {target.code}
        elif (literal := _text(code_node)) is not None:
            codes = {literal}
        elif (isinstance(code_node, ast.Attribute) and code_node.attr == "code"
              and isinstance(code_node.value, ast.Name) and code_node.value.id in scope.bound):
            # raise Unauthorized(exc.code, exc.message): the codes (and messages) of what the handler caught
            return {Outcome(target.status, o.code, o.message or message, target, where)
                    for o in scope.bound[code_node.value.id] if o.code} or {
                Outcome(target.status, "", message, target, where)}
        else:
            codes = {""}
        return {Outcome(target.status, code, message, target, where) for code in codes}

    def _where(self, node: ast.AST) -> str:
        frame = self._stack[-1] if self._stack else None
        filename = Path(frame.code.co_filename).resolve() if frame else Path("?")
        with contextlib.suppress(ValueError):
            filename = filename.relative_to(Path(__file__).resolve().parents[2])
        return f"{filename}:{getattr(node, 'lineno', '?')}"

    # --- explaining an outcome (test failure messages) ---
    def explain(self, fn: Any, outcome: Outcome, _seen: set[CodeType] | None = None) -> list[str]:
        """A call path from `fn` to where `outcome` is raised: ["shared/x.py:12 f", …, "shared/y.py:40"]."""
        fn = self._function(fn)
        if fn is None or outcome not in self.outcomes(fn):
            return []
        seen = _seen if _seen is not None else set()
        if fn.__code__ in seen:
            return []
        seen.add(fn.__code__)
        here = f"{fn.__module__}.{fn.__qualname__}"
        nodes = _function_nodes(fn.__code__)
        scope = self._scope(fn, nodes)
        for node in nodes:
            for inner in ast.walk(node):
                targets: list[Any] = []
                if isinstance(inner, ast.Call):
                    targets = self._callees(inner.func, scope)
                    targets += [self._resolve(a, scope) for a in [*inner.args, *(k.value for k in inner.keywords)]
                                if isinstance(a, ast.Name | ast.Attribute)]
                for target in targets:
                    path = self.explain(target, outcome, seen)
                    if path:
                        return [here, *path]
        return [here, outcome.where]


class _Typed:
    """An object known only by its annotated class (a parameter)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls


def _reraises(handler: ast.ExceptHandler) -> bool:
    """Does the handler re-raise what it caught (`raise`, or `raise <name>`), outside nested functions?"""
    stack: list[ast.AST] = list(handler.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Raise) and (node.exc is None or (
                isinstance(node.exc, ast.Name) and handler.name is not None and node.exc.id == handler.name)):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


# --------------------------------------------------------------------------------------------------- routes


def route_answers(graph: CallGraph, route: Any) -> frozenset[Outcome]:
    """Every (status, code) the router can answer for `route`: its pipeline steps and its handler's call graph."""
    from shared.http.router import pipeline

    return graph.answers([*pipeline(route), route.handler])


def catalogue(graph: CallGraph) -> dict[str, dict[int, str]]:
    """Every error code raised anywhere in our code: code -> {status: an example message}."""
    load_all_modules()
    found: set[Outcome] = set()
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").split(".")[0] not in PACKAGES:
            continue
        for value in list(vars(module).values()):
            functions = [value] if isinstance(value, FunctionType) else (
                [v for v in vars(value).values() if isinstance(v, FunctionType | classmethod | staticmethod)]
                if isinstance(value, type) and ours(value) else [])
            for fn in functions:
                found |= graph.outcomes(fn)
    codes: dict[str, dict[int, str]] = {}
    for o in sorted(found, key=lambda o: (o.status or 0, o.code, o.where, o.message)):  # deterministic examples
        if o.exc is not None and issubclass(o.exc, AppError) and o.code and o.status is not None:
            codes.setdefault(o.code, {}).setdefault(o.status, o.message)
    return {code: dict(sorted(by_status.items())) for code, by_status in sorted(codes.items())}
