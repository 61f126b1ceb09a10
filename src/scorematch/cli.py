"""Command-line entries: evaluate loss and gradient (JSON in, JSON out); run one case.

scorematch-eval [FILE]      JSON {"mu": n x d or R x n x d, "mu_star": d, "noise_scale": t}
                            (noise_scale optional, default 0: vectors given unscaled)
scorematch-run --config config.yaml [--config more.yaml] --experiment fig1 --case M6
               --output results/fig1/M6.npz
"""

import argparse
import json
import sys

import numpy as np

from scorematch.config import ConfigError, load_config, resolve_case, validate_config
from scorematch.engine import evaluate as engine_evaluate
from scorematch.experiment import run_specification
from scorematch.outcomes import value_counts
from scorematch.pipeline import write_npz
from scorematch.population import scale_to_noise


def parse_evaluation_request(request):
    """mu (R, n, d), mu_star (d,), noise_scale from a decoded JSON request; clear errors."""
    for key in ("mu", "mu_star"):
        if key not in request:
            raise ValueError(f"missing key {key!r}; expected {{'mu': n x d list, 'mu_star': d list}}")
    mu = np.asarray(request["mu"], dtype=np.float64)
    mu_star = np.asarray(request["mu_star"], dtype=np.float64)
    noise_scale = float(request.get("noise_scale", 0.0))
    if mu.ndim == 2:
        mu = mu[None]
    if mu.ndim != 3 or mu_star.ndim != 1 or mu.shape[-1] != mu_star.shape[0]:
        raise ValueError(
            f"'mu' must be n x d (or runs x n x d) and 'mu_star' length d; got shapes {mu.shape} and {mu_star.shape}"
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(mu_star))):
        raise ValueError("'mu' and 'mu_star' must be finite numbers")
    if noise_scale < 0:
        raise ValueError(f"'noise_scale' must be >= 0, got {noise_scale}")
    return mu, mu_star, noise_scale


def evaluate(request):
    """The JSON-ready answer to an evaluation request (loss and gradient, scaled frame)."""
    mu, mu_star, noise_scale = parse_evaluation_request(request)
    loss, grad = engine_evaluate(
        scale_to_noise(mu, noise_scale=noise_scale), scale_to_noise(mu_star, noise_scale=noise_scale)
    )
    return {
        "loss": loss.tolist(),
        "gradient": grad.tolist(),
        "noise_scale": noise_scale,
        "frame": "scaled: gradient with respect to mu_t = exp(-t) mu",
    }


def evaluate_main(argv=None):
    parser = argparse.ArgumentParser(description="Population loss and gradient, JSON in and out.")
    parser.add_argument("file", nargs="?", help="JSON request (default: standard input)")
    args = parser.parse_args(argv)
    try:
        text = open(args.file).read() if args.file else sys.stdin.read()
        print(json.dumps(evaluate(json.loads(text))))
    except (OSError, ValueError) as error:
        print(f"scorematch-eval: {error}", file=sys.stderr)
        return 2
    return 0


def run_main(argv=None):
    parser = argparse.ArgumentParser(description="Run one experiment case from the config.")
    parser.add_argument("--config", action="append", required=True, help="config file (repeatable, merged in order)")
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--case", required=True)
    parser.add_argument("--output", required=True, help="result file (.npz)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        validate_config(config)
        spec = resolve_case(config, args.experiment, args.case)
    except (OSError, ConfigError) as error:
        print(f"scorematch-run: {error}", file=sys.stderr)
        return 2
    name = f"{args.experiment}/{args.case}"
    arrays = run_specification(spec, root_seed=config["root_seed"], name=name)
    write_npz(args.output, arrays)
    print(
        json.dumps(
            {
                "case": name,
                "output": args.output,
                "final_loss_median": float(np.median(arrays["loss"][:, -1])),
                "outcomes": value_counts(arrays["outcome"]),
            }
        )
    )
    return 0
