"""Rewrite the README's "What the run measured" block from results/claims.json and
results/step_size.json (run by `make readme-results`).

Usage: python scripts/readme_results.py [--config NAME] [--readme README.md] [--results results]
"""

import argparse
import json
from pathlib import Path

from scorematch.claims import measured_block, replace_between_markers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--readme", type=Path, default=Path("README.md"))
parser.add_argument("--results", type=Path, default=Path("results"))
parser.add_argument("--config", default="config.yaml", help="the config the results were made with")
args = parser.parse_args()
claims = json.loads((args.results / "claims.json").read_text())
step_size_path = args.results / "step_size.json"
step_rows = json.loads(step_size_path.read_text())["rows"] if step_size_path.exists() else []
block = measured_block(claims, step_rows, config_name=args.config)
args.readme.write_text(replace_between_markers(args.readme.read_text(), block))
print(f"{args.readme}: measured block rewritten ({len(claims['claims'])} claim rows)")
