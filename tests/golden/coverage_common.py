"""What the *_coverage.py scripts beside it share: the public function names of a JAX (or
optax) module, and ferrax's function names, found in its source or in rustdoc's pages.
Imported by those scripts (run them from the repository root)."""

import inspect
import os
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def public_functions(module, keep=lambda obj: True):
    """The sorted public callables of `module` (no classes, submodules or typing aliases)
    that pass `keep`."""
    out = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.ismodule(obj) or not callable(obj):
            continue
        if getattr(obj, "__module__", "") in ("typing", "collections.abc"):
            continue
        if keep(obj):
            out.append(name)
    return sorted(out)


def source_functions(paths, patterns=(r"^pub fn (\w+)",)):
    """The names matched by any of `patterns` (multi-line regexes with one group) in the
    Rust files `paths`."""
    names = set()
    for path in paths:
        text = pathlib.Path(path).read_text()
        for pattern in patterns:
            names |= set(re.findall(pattern, text, re.M))
    return names


def rustdoc_functions(module):
    """The functions rustdoc documents in `ferrax::<module>` (run `cargo doc --no-deps --lib`
    first): this also sees functions that macros define."""
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    pages = (target / "doc" / "ferrax" / module).glob("fn.*.html")
    return {p.name[len("fn.") : -len(".html")] for p in pages}
