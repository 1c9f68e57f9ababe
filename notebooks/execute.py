#!/usr/bin/env python3
"""Execute evcxr notebooks headless and check what every cell produced.

    python3 notebooks/execute.py [--kernel rust] [--timeout S] [--no-write] NOTEBOOK...

Each notebook runs top to bottom in a fresh kernel whose working directory is the notebook's
folder. A notebook FAILS when any cell

  * produces an `error` output (a compile error, a runtime error evcxr reports),
  * prints "panicked at" anywhere (stdout, stderr or a rich output): evcxr 0.22 reports a
    panic as success when variables are preserved on panic, so the text is the only sure sign,
  * misses an output it declares in its metadata:
      "expect": ["image/svg+xml", "text/html"]   each MIME type must appear in a display or
                                                  result output of the cell;
      "expect_text": "..." or ["...", ...]       each string must appear in the cell's text
                                                  (stdout, stderr, text/plain or text/html);
  * is left unexecuted (the kernel died or the run was cut short).

A notebook that passes is written back in place, outputs included, so the committed notebooks
read well on a code host; one that fails is written beside it as NAME.failed.ipynb (ignored by
git) and its problems are printed. The exit status is 0 when every notebook passed, 1 if not.
"""

import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

PANIC_MARKERS = ("panicked at",)
TEXT_MIMES = ("text/plain", "text/html", "text/markdown")


def output_texts(out):
    """All text an output carries, for the panic scan and expect_text."""
    kind = out.get("output_type")
    if kind == "stream":
        yield out.get("text", "")
    elif kind == "error":
        yield out.get("ename", "")
        yield out.get("evalue", "")
        yield "\n".join(out.get("traceback", []))
    elif kind in ("display_data", "execute_result"):
        data = out.get("data", {})
        for mime in TEXT_MIMES:
            value = data.get(mime)
            if value is not None:
                yield value if isinstance(value, str) else "".join(value)


def output_mimes(out):
    if out.get("output_type") in ("display_data", "execute_result"):
        return set(out.get("data", {}).keys())
    return set()


def cell_label(index, cell):
    first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
    return f"cell {index} ({first.strip()[:60]!r})"


def check_notebook(nb):
    """The problems found in an executed notebook, one string each."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = cell_label(index, cell)
        if cell.get("execution_count") is None and cell.source.strip():
            problems.append(f"{label}: was not executed")
        outputs = cell.get("outputs", [])
        texts = [t for out in outputs for t in output_texts(out)]
        joined = "\n".join(texts)
        for out in outputs:
            if out.get("output_type") == "error":
                detail = (out.get("evalue") or "\n".join(out.get("traceback", [])))[:2000]
                problems.append(f"{label}: error output: {out.get('ename')}: {detail}")
        for marker in PANIC_MARKERS:
            if marker in joined:
                at = joined.index(marker)
                problems.append(
                    f"{label}: panic: {joined[max(0, at - 200):at + 300].strip()}"
                )
        meta = cell.get("metadata", {})
        mimes = set().union(*(output_mimes(out) for out in outputs)) if outputs else set()
        for mime in meta.get("expect", []):
            if mime not in mimes:
                problems.append(
                    f"{label}: expected output {mime!r} is missing (got {sorted(mimes) or 'none'})"
                )
        expect_text = meta.get("expect_text", [])
        if isinstance(expect_text, str):
            expect_text = [expect_text]
        for text in expect_text:
            if text not in joined:
                problems.append(f"{label}: expected text {text!r} is missing")
    return problems


def run(path, kernel, timeout, write):
    nb = nbformat.read(path, as_version=4)
    # Outputs of an earlier run must not satisfy this run's checks.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    folder = os.path.dirname(os.path.abspath(path))
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        startup_timeout=300,
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": folder}},
    )
    # Report each slow cell as it finishes (the first cell compiles ferrax: see its time).
    cell_start = {}

    def on_start(cell, cell_index, **_):
        cell_start[cell_index] = time.monotonic()

    def on_done(cell, cell_index, **_):
        took = time.monotonic() - cell_start.get(cell_index, time.monotonic())
        if took >= 5:
            print(f"   {cell_label(cell_index, cell)}: {took:.1f} s", flush=True)

    client.on_cell_execute = on_start
    client.on_cell_executed = on_done
    started = time.monotonic()
    fatal = None
    try:
        client.execute()
    except (CellExecutionError, DeadKernelError, TimeoutError, RuntimeError) as e:
        fatal = f"execution stopped: {type(e).__name__}: {str(e)[:2000]}"
    seconds = time.monotonic() - started
    problems = ([fatal] if fatal else []) + check_notebook(nb)
    if not problems:
        if write:
            nbformat.write(nb, path)
    else:
        base = path[: -len(".ipynb")] if path.endswith(".ipynb") else path
        nbformat.write(nb, base + ".failed.ipynb")
    return problems, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernel", default="rust")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument("--no-write", action="store_true", help="do not write passing notebooks back")
    parser.add_argument("--times", help="append 'NAME SECONDS STATUS' lines to this file")
    args = parser.parse_args()

    failed = 0
    for path in args.notebooks:
        print(f"== {path}", flush=True)
        problems, seconds = run(path, args.kernel, args.timeout, not args.no_write)
        status = "PASS" if not problems else "FAIL"
        for p in problems:
            print(f"   {p}", flush=True)
        print(f"   {status} in {seconds:.1f} s", flush=True)
        if args.times:
            with open(args.times, "a") as f:
                f.write(f"{os.path.basename(path)} {seconds:.1f} {status}\n")
        failed += bool(problems)
    total = len(args.notebooks)
    print(f"notebooks: {total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
