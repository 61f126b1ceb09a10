"""Rewrite the README's "What the run measured" block from results/claims.json,
results/step_size.json and the summaries of the experiments past the paper, and its
"Timings" block from the run record in results/benchmarks/runs.jsonl (run by
`make readme-results`).

Usage: python scripts/readme_results.py [--config NAME] [--readme README.md] [--results results]
"""

import argparse
import json
from pathlib import Path

from scorematch import readme_tables, run_times
from scorematch.claims import measured_block
from scorematch.mixture import MIXTURE_KINDS
from scorematch.provenance import read_provenance

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--readme", type=Path, default=Path("README.md"))
parser.add_argument("--results", type=Path, default=Path("results"))
parser.add_argument("--config", default="config.yaml", help="the config the results were made with")
args = parser.parse_args()
claims = json.loads((args.results / "claims.json").read_text())
step_size_path = args.results / "step_size.json"
step_rows = json.loads(step_size_path.read_text())["rows"] if step_size_path.exists() else []
lines = []
# the summaries of the experiments that were run
for name, table in (
    ("phase/critical_spread.json", readme_tables.phase_lines),
    ("noise_scale/fractions.json", readme_tables.noise_scale_lines),
    ("gradient_em/summary.json", lambda s: readme_tables.method_lines("Gradient EM", s)),
    ("alternatives/summary.json", lambda s: readme_tables.method_lines("Other dynamics", s)),
):
    if (args.results / name).exists():
        lines += table(json.loads((args.results / name).read_text()))
mixture = {}
for directory in [args.results / "mixture", *sorted(args.results.glob("mixture_*"))]:
    kinds = [directory / f"{kind}.json" for kind in MIXTURE_KINDS]
    mixture[directory.name] = {path.stem: json.loads(path.read_text()) for path in kinds if path.exists()}
lines += readme_tables.mixture_lines({name: kinds for name, kinds in mixture.items() if kinds})
commit = read_provenance(args.results / "claims.json")["code"]["commit"]
block = measured_block(claims, step_rows, config_name=args.config, commit=commit)
block += "".join(f"{line}\n" for line in lines)
readme_tables.rewrite_readme_block(args.readme, block, markers=readme_tables.MEASURED_MARKERS)
print(f"{args.readme}: measured block rewritten ({len(claims['claims'])} claim rows)")
record = run_times.last_record(args.results / "benchmarks")
if record is None:
    print(f"{args.readme}: timings block left as it was (no run recorded under {args.results}/benchmarks)")
else:
    timings = "".join(f"{line}\n" for line in run_times.timings_lines(record))
    readme_tables.rewrite_readme_block(args.readme, timings, markers=readme_tables.TIMINGS_MARKERS)
    print(f"{args.readme}: timings block rewritten (run started {record['start_utc']} UTC)")
