"""Writes the results of benchmarks/results/all.json into docs/benchmarks.md as markdown tables.

  python -m benchmarks.report [--results FILE] [--doc FILE]

Only the block between the two marker lines of the doc is replaced, so the discussion written
around it stays; the tables come from each part's own `table()`, as run_all prints them.
"""

import argparse
import importlib
import json
import pathlib

from benchmarks import common

BEGIN = "<!-- results:begin (written by python -m benchmarks.report) -->"
END = "<!-- results:end -->"
DOC = common.ROOT / "docs" / "benchmarks.md"
MACHINE_KEYS = ("cpu_model", "cores_available", "load_average_1m", "python", "tensorflow")
MACHINE_KEYS += ("keras", "numpy", "scipy", "torch", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def markdown_table(rows):
    """A markdown table; rows whose first row holds numbers (label-value lists) get an empty
    header, so that no measurement is drawn as a column title."""
    if not all(isinstance(cell, str) for cell in rows[0]):
        rows = [[""] * len(rows[0]), *rows]
    cells = [[common.fmt(cell) for cell in row] for row in rows]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(cells[0])]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def render(combined):
    """The markdown of one all.json: machine, each part's table and notes, the targets."""
    machine = combined["machine"]
    lines = [
        f"Measured with `python benchmarks/run_all.py` in {combined['elapsed_seconds']:.0f} s "
        f"(budget {combined['budget_seconds']} s).",
        "",
        markdown_table([["machine", ""], *([k, machine.get(k)] for k in MACHINE_KEYS)]),
    ]
    for name, part in combined["parts"].items():
        lines += ["", f"### {name}", ""]
        if "error" in part:
            lines.append(f"Failed: {part['error']}")
            continue
        table = importlib.import_module(f"benchmarks.{name}").table
        lines.append(markdown_table(table(part["results"])))
        lines += [f"\nNote: {note}" for note in part["notes"]]
    if combined["targets"]:
        rows = [["part", "target", "value", "limit", "verdict"]]
        targets = combined["targets"]
        rows += [[t["part"], *row] for t, row in zip(targets, common.target_rows(targets))]
        lines += ["", "### targets", "", markdown_table(rows)]
    return "\n".join(lines)


def replace_block(doc_text, block):
    if BEGIN not in doc_text or END not in doc_text:
        raise ValueError(f"the doc has no results block; add the lines\n{BEGIN}\n{END}")
    head, rest = doc_text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(common.RESULTS_DIR / "all.json"))
    parser.add_argument("--doc", default=str(DOC))
    args = parser.parse_args(argv)
    combined = json.loads(pathlib.Path(args.results).read_text())
    if combined.get("quick"):
        parser.error(f"{args.results} holds --quick results; the doc shows full runs only")
    doc = pathlib.Path(args.doc)
    doc.write_text(replace_block(doc.read_text(), render(combined)))
    print(f"wrote the results of {args.results} into {doc}")


if __name__ == "__main__":
    main()
