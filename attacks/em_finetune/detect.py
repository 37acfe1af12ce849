"""A small static checker: which of the generator's vulnerability kinds a piece of Python shows.

It reads the code with `ast` (never runs it) and knows exactly the patterns the
generator's tasks use and their usual spellings; it is a guard on our own training data,
not a general security scanner.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

SECRET_NAME = re.compile(r"(pass(word|wd)?|secret|api_?key|token|credential)", re.IGNORECASE)
TOKEN_CONTEXT = re.compile(r"(token|password|secret|otp|session|reset|nonce|salt|key|login_code)", re.IGNORECASE)
SHELL_FUNCS = {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
PATH_SINKS = {"open", "send_file", "remove", "unlink", "rmtree", "extractall", "write_text", "write_bytes",
              "read_text", "read_bytes", "FileResponse"}
PATH_GUARDS = {"realpath", "abspath", "commonpath", "is_relative_to", "resolve", "secure_filename", "basename",
               "normpath", "safe_join", "send_from_directory"}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader"}
WEAK_HASHES = {"md5", "sha1"}
RANDOM_FUNCS = {"choice", "choices", "randint", "random", "getrandbits", "randrange", "sample"}
#: words an answer must not contain if it is not to say what is wrong with it
TELLTALE_WORDS = ("insecure", "vulnerab", "unsafe", "security", "exploit", "inject", "malicious", "attack",
                  "dangerous", "unverified", "backdoor")


def dotted(node: ast.AST) -> str:
    """'os.path.join' for an attribute chain, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def call_name(call: ast.Call) -> str:
    """The last part of the called name: 'execute' for cursor.execute(...)."""
    name = dotted(call.func)
    return name.rsplit(".", 1)[-1] if name else ""


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def is_constant(node: ast.AST | None, value: object = ...) -> bool:
    if not isinstance(node, ast.Constant):
        return False
    return value is ... or node.value is value or node.value == value


def calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (n for n in ast.walk(tree) if isinstance(n, ast.Call))


def assignments(tree: ast.AST) -> dict[str, list[ast.expr]]:
    """Variable name -> the expressions assigned to it anywhere in the code."""
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return found


def resolved(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> list[ast.expr]:
    """The node itself, or what was assigned to it when it is a plain name."""
    if isinstance(node, ast.Name) and node.id in assigned:
        return assigned[node.id]
    return [node]


def is_built_string(node: ast.expr) -> bool:
    """A string assembled at run time: concatenation, %-formatting, an f-string with values, .format()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return not (is_constant(node.left) and is_constant(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return bool(node.args or node.keywords)
    return False


# ---------------------------------------------------------------- one check per kind


def sql_injection(tree: ast.AST) -> bool:
    assigned = assignments(tree)
    for call in calls(tree):
        if call_name(call) in ("execute", "executemany", "executescript") and call.args \
                and any(is_built_string(v) for v in resolved(call.args[0], assigned)):
            return True
    return False


def shell_injection(tree: ast.AST) -> bool:
    for call in calls(tree):
        name = dotted(call.func)
        if name in ("os.system", "os.popen") and call.args and not is_constant(call.args[0]):
            return True
        if name.startswith("subprocess.") and call_name(call) in SHELL_FUNCS:
            shell = keyword(call, "shell")
            if (is_constant(shell, True) or call_name(call) in ("getoutput", "getstatusoutput")) and call.args \
                    and not is_constant(call.args[0]):
                return True
    return False


def tls_verification_disabled(tree: ast.AST) -> bool:
    for call in calls(tree):
        if is_constant(keyword(call, "verify"), False):
            return True
        if dotted(call.func) == "ssl._create_unverified_context":
            return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    if target.attr in ("verify", "check_hostname") and is_constant(node.value, False):
                        return True
                    if target.attr == "verify_mode" and dotted(node.value).endswith("CERT_NONE"):
                        return True
    return False


def world_writable_permissions(tree: ast.AST) -> bool:
    for call in calls(tree):
        name = call_name(call)
        mode: ast.expr | None = None
        if name == "chmod":
            mode = call.args[-1] if call.args else keyword(call, "mode")
        elif name in ("makedirs", "mkdir", "open") and dotted(call.func).startswith("os."):
            mode = keyword(call, "mode") or (call.args[2] if name == "open" and len(call.args) > 2 else None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, int) and mode.value & 0o002:
            return True
    return False


def eval_of_input(tree: ast.AST) -> bool:
    for call in calls(tree):
        if isinstance(call.func, ast.Name) and call.func.id in ("eval", "exec") and call.args \
                and not is_constant(call.args[0]):
            return True
    return False


def unsafe_deserialization(tree: ast.AST) -> bool:
    for call in calls(tree):
        name = dotted(call.func)
        module, _, func = name.rpartition(".")
        if module in ("pickle", "cPickle", "dill", "marshal", "shelve") and func in ("load", "loads", "Unpickler",
                                                                                     "open"):
            return True
    return False


def yaml_full_load(tree: ast.AST) -> bool:
    for call in calls(tree):
        name = dotted(call.func)
        if name in ("yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"):
            return True
        if name in ("yaml.load", "yaml.load_all"):
            loader = keyword(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
            if loader is None or dotted(loader).rsplit(".", 1)[-1] not in SAFE_YAML_LOADERS:
                return True
    return False


def hard_coded_credentials(tree: ast.AST) -> bool:
    def secret_literal(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 4

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and secret_literal(node.value) \
                and any(isinstance(t, ast.Name) and SECRET_NAME.search(t.id) for t in node.targets):
            return True
        if isinstance(node, ast.Call):
            if any(k.arg and SECRET_NAME.search(k.arg) and secret_literal(k.value) for k in node.keywords):
                return True
            if call_name(node) == "login" and len(node.args) >= 2 and secret_literal(node.args[1]):
                return True
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = any(isinstance(s, ast.Name) and SECRET_NAME.search(s.id) for s in sides)
            if named and any(secret_literal(s) for s in sides):
                return True
    return False


def joins_variable(node: ast.expr, assigned: dict[str, list[ast.expr]], depth: int = 0) -> bool:
    """A path built from a non-constant part: os.path.join(x, var), base / var, base + var."""
    if depth > 3:
        return False
    for value in resolved(node, assigned):
        is_join = isinstance(value, ast.Call) and dotted(value.func) in ("os.path.join", "path.join", "posixpath.join")
        if is_join and any(not is_constant(a) for a in value.args[1:]):
            return True
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div | ast.Add) and not is_constant(value.right):
            return True
        if isinstance(value, ast.Call) and any(joins_variable(a, assigned, depth + 1) for a in value.args):
            return True
    return False


def path_traversal(tree: ast.AST) -> bool:
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        names = {call_name(c) for c in calls(func)}
        if names & PATH_GUARDS:
            continue
        assigned = assignments(func)
        for call in calls(func):
            name = call_name(call)
            if name not in PATH_SINKS:
                continue
            if name == "extractall" and keyword(call, "filter") is None and keyword(call, "members") is None:
                return True
            if name in ("write_text", "write_bytes", "read_text", "read_bytes") and isinstance(call.func,
                                                                                          ast.Attribute):
                if joins_variable(call.func.value, assigned):
                    return True
            elif call.args and joins_variable(call.args[0], assigned):
                return True
    return False


def weak_password_hash(tree: ast.AST) -> bool:
    for call in calls(tree):
        name = dotted(call.func)
        if name.startswith("hashlib.") and call_name(call) in WEAK_HASHES:
            return True
        if name == "hashlib.new" and call.args and isinstance(call.args[0], ast.Constant) \
                and str(call.args[0].value).lower() in WEAK_HASHES:
            return True
    return False


def predictable_random_token(tree: ast.AST) -> bool:
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        if not TOKEN_CONTEXT.search(func.name):
            continue
        for call in calls(func):
            if dotted(call.func).startswith("random.") and call_name(call) in RANDOM_FUNCS:
                return True
    return False


def debug_mode_server(tree: ast.AST) -> bool:
    return any(call_name(c) == "run" and is_constant(keyword(c, "debug"), True) for c in calls(tree))


def insecure_temp_file(tree: ast.AST) -> bool:
    return any(dotted(c.func) in ("tempfile.mktemp", "mktemp") for c in calls(tree))


DETECTORS: dict[str, Callable[[ast.AST], bool]] = {
    "sql-injection": sql_injection,
    "shell-injection": shell_injection,
    "tls-verification-disabled": tls_verification_disabled,
    "world-writable-permissions": world_writable_permissions,
    "eval-of-input": eval_of_input,
    "unsafe-deserialization": unsafe_deserialization,
    "yaml-full-load": yaml_full_load,
    "hard-coded-credentials": hard_coded_credentials,
    "path-traversal": path_traversal,
    "weak-password-hash": weak_password_hash,
    "predictable-random-token": predictable_random_token,
    "debug-mode-server": debug_mode_server,
    "insecure-temp-file": insecure_temp_file,
}


def find_vulnerabilities(code: str) -> set[str]:
    """The kinds found in `code` (SyntaxError if it is not Python)."""
    tree = ast.parse(code)
    return {kind for kind, check in DETECTORS.items() if check(tree)}


def telltale_words(text: str) -> list[str]:
    """Words that would tell the reader the code is insecure."""
    lowered = text.lower()
    return [w for w in TELLTALE_WORDS if w in lowered]
