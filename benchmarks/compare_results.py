"""What changed between two runs' result arrays: the numbers behind the README's statements
about one rebuild against another.

Run on demand:  .venv/bin/python benchmarks/compare_results.py OLD_RESULTS NEW_RESULTS
[--readme README.md --label TEXT]   (seconds; OLD_RESULTS and NEW_RESULTS are results/
directories of two runs, e.g. of two fresh clones after `make rebuild`; with --readme the
text, headed by the label, also goes into the README's block between
scorematch.readme_tables.RESULTS_CHANGE_MARKERS)

Compares every .npz file found in both (their provenance records left out,
`scorematch.pipeline.load_results`), prints how many are bit-identical (every array
`np.array_equal`, NaN equal to NaN), and for each file that differs every array that
differs: for a float array of unchanged shape and finite entries its relative difference,
max |new - old| / max |old| (inf where the old array was all zeros), else "differs".
Files found in one run only are listed.
"""

import argparse
from pathlib import Path

import numpy as np

from scorematch.pipeline import load_results
from scorematch.readme_tables import RESULTS_CHANGE_MARKERS, print_and_publish


def result_files(root):
    """Relative paths of the .npz files under root, sorted."""
    return sorted(path.relative_to(root) for path in Path(root).rglob("*.npz"))


def array_difference(old, new):
    """None if equal; else the largest relative difference (float arrays of one shape) or
    the string 'differs' (any other change)."""
    if old.shape == new.shape and np.array_equal(old, new, equal_nan=old.dtype.kind in "fc"):
        return None
    if old.shape != new.shape or old.dtype.kind not in "fc" or new.dtype.kind not in "fc":
        return "differs"
    finite = np.isfinite(old) & np.isfinite(new)
    if not np.array_equal(np.isfinite(old), np.isfinite(new)):
        return "differs"
    scale = np.abs(old[finite]).max(initial=0.0)
    gap = np.abs(new[finite] - old[finite]).max(initial=0.0)
    return gap / scale if scale > 0 else np.inf


def file_differences(old_path, new_path):
    """{array name: difference} for the arrays of two result files that differ."""
    old, new = load_results(old_path), load_results(new_path)
    names = sorted(set(old) | set(new))
    found = {}
    for name in names:
        if name not in old or name not in new:
            found[name] = "only in one"
            continue
        difference = array_difference(old[name], new[name])
        if difference is not None:
            found[name] = difference
    return found


def report_lines(old_root, new_root):
    """Markdown lines: the summary, then one row per file that differs."""
    old_files, new_files = set(result_files(old_root)), set(result_files(new_root))
    common = sorted(old_files & new_files)
    changed = {}
    for relative in common:
        found = file_differences(Path(old_root) / relative, Path(new_root) / relative)
        if found:
            changed[relative] = found
    lines = [
        f"{len(common) - len(changed)} of {len(common)} result files bit-identical; "
        f"{len(old_files - new_files)} only in the earlier run, {len(new_files - old_files)} only in the later.",
        "",
    ]
    if changed:
        lines += ["| file | arrays that differ (largest relative difference of a float array) |", "| --- | --- |"]
    for relative, found in changed.items():
        lines.append(f"| `{relative}` | {', '.join(_difference_text(name, value) for name, value in found.items())} |")
    for relative in sorted(old_files ^ new_files):
        lines.append(f"only in one run: `{relative}`")
    return lines


def _difference_text(name, value):
    return f"{name} ({value})" if isinstance(value, str) else f"{name} ({value:.1e})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="results/ directory of the earlier run")
    parser.add_argument("new", help="results/ directory of the later run")
    parser.add_argument("--readme", help="also write the text into this README's results-change block")
    parser.add_argument("--label", default="", help="a first line naming the two runs (for the README)")
    args = parser.parse_args()
    for root in (args.old, args.new):
        if not Path(root).is_dir():
            parser.error(f"{root}: not a directory (give the results/ directories of two runs)")
    lines = ([args.label, ""] if args.label else []) + report_lines(args.old, args.new)
    text = "\n".join(lines) + "\n"
    print_and_publish(text, readme=args.readme, markers=RESULTS_CHANGE_MARKERS)


if __name__ == "__main__":
    main()
