"""The README's generated blocks: the "What the run measured" tables beyond the claims,
markdown lines from the JSON summaries under results/ (JSON in, text out; `make
readme-results` writes them), and the replacement of a block between its markers.
"""

from pathlib import Path

from scorematch.files import partial_path


def _number(value, fmt=".3g"):
    return "-" if value is None else format(value, fmt)


def phase_lines(summary):
    """The phase diagrams: per diagram (d, eta) and n the fitted law ln sigma* = a + b M
    (standard errors, residual sd) beside the same fit against M^3 and the M whose sigma*
    lies outside the grid; the slopes b side by side; the joint law across diagrams."""
    diagrams = summary["diagrams"]
    lines = [
        "",
        f"Phase diagrams ({summary['step_rule']}; {summary['definition']}):",
        "",
        "| diagram | d | eta | steps | seeds per cell | n | M with sigma* in the grid | ln sigma* = a + b M "
        "| residual sd | fit against M^3: residual sd | M outside the grid |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, diagram in diagrams.items():
        for n, entry in diagram["by_n"].items():
            inside = [c["M"] for c in entry["columns"] if c["status"] == "ok"]
            outside = [f"{c['M']:g} ({c['status']})" for c in entry["columns"] if c["status"] != "ok"]
            fit, fit3 = entry["fit_ln_sigma_vs_M"], entry["fit_ln_sigma_vs_M3"]
            law = (
                "-"
                if fit is None
                else (
                    f"{fit['intercept']:.2f} (+-{fit['intercept_se']:.2f}) "
                    f"{fit['slope']:+.3f} (+-{fit['slope_se']:.3f}) M"
                )
            )
            lines.append(
                f"| {name} | {diagram['dim']} | {diagram['eta']:g} | {diagram['n_steps']} | {diagram['runs_per_cell']} "
                f"| {n} | {', '.join(f'{m:g}' for m in inside)} | {law} | {_number(fit and fit['residual_sd'], '.2f')} "
                f"| {_number(fit3 and fit3['residual_sd'], '.2f')} | {', '.join(outside) or '-'} |"
            )
    ns = sorted({n for diagram in diagrams.values() for n in diagram["by_n"]}, key=int)
    lines += [
        "",
        "Slope b of ln sigma* = a + b M (+- standard error) side by side:",
        "",
        "| n | " + " | ".join(diagrams) + " |",
        "| --- |" + " --- |" * len(diagrams),
    ]
    for n in ns:
        cells = []
        for diagram in diagrams.values():
            fit = diagram["by_n"].get(n, {}).get("fit_ln_sigma_vs_M")
            cells.append("-" if fit is None else f"{fit['slope']:.3f} (+-{fit['slope_se']:.3f})")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    joint = summary["joint_fit"]
    if joint is None:
        return lines + ["", "Joint law across diagrams: too few sigma* inside the grid to fit."]
    coefficients = ", ".join(
        f"{name} = {value:.3f} (+-{joint['standard_errors'][name]:.3f})"
        for name, value in joint["coefficients"].items()
    )
    return lines + [
        "",
        f"Joint law across diagrams (least squares over {joint['n_points']} sigma* inside the grid, "
        f"{joint['dof']} residual degrees of freedom): {joint['model']}; {coefficients}; "
        f"residual sd {joint['residual_sd']:.2f} (in ln sigma*).",
    ]


def noise_scale_lines(summary):
    """The noise-scale sweep: all-converge fraction per t, against the sufficient threshold."""
    return [
        "",
        f"Noise scale (eta = {summary['eta']}, {summary['n_steps']} steps, {summary['runs_per_t']} seeds per t; "
        f"{summary['definition']}):",
        "",
        "| t | " + " | ".join(f"{row['t']:g}" for row in summary["fractions"]) + " |",
        "| --- |" + " --- |" * len(summary["fractions"]),
        "| all converged | " + " | ".join(f"{row['fraction_all']:.2f}" for row in summary["fractions"]) + " |",
    ]


def method_lines(title, summary):
    """Score-matching GD beside other dynamics from the same starts: tail exponents (per-run
    median and quartiles, exponent of the mean curve), final loss and outcome counts."""
    lines = [
        "",
        f"{title} (from {summary['case']}'s first {summary['runs']} starts, eta = {summary['eta']}, "
        f"{summary['n_steps']} steps, tail window tau in [{summary['tail_window'][0]:.3g}, "
        f"{summary['tail_window'][1]:.3g}]):",
        "",
        "| method | exponent median [q25, q75] | exponent of the mean curve | final loss median | outcomes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, m in summary["methods"].items():
        quartiles = m["exponent_q25_q75"] or [None, None]
        lines.append(
            f"| {name} | {_number(m['exponent_median'], '.3f')} [{_number(quartiles[0], '.3f')}, "
            f"{_number(quartiles[1], '.3f')}] | {_number(m['exponent_of_mean_curve'], '.3f')} "
            f"| {_number(m['final_loss_median'])} | {', '.join(f'{k}: {v}' for k, v in m['outcomes'].items())} |"
        )
    return lines


def _interval_text(fraction):
    return f"{fraction['count']}/{fraction['runs']} [{fraction['ci_lo']:.2f}, {fraction['ci_hi']:.2f}]"


def _exponent_text(curve):
    if curve is None:
        return "-"
    return f"{curve['exponent']:.3f} [{curve['ci'][0]:.3f}, {curve['ci'][1]:.3f}] ({curve['runs']} runs)"


def _rule_text(rows, hermite_nodes):
    """The largest rule errors over a kind's cases, per state."""
    parts = []
    for state in ("initial", "final"):
        errors = [r["rule_error"][state] for r in rows]
        parts.append(
            f"{state} states: loss {max(e['loss_relative'] for e in errors):.1e} relative, gradient "
            f"{max(e['gradient_absolute'] for e in errors):.1e} absolute "
            f"({max(e['gradient_relative'] for e in errors):.1e} relative)"
        )
    return (
        f"integration rule (spread tier {hermite_nodes} outer nodes, per-axis counts, truncated outer sum) "
        "against a finer one (at least 40 outer nodes per axis, 14 Gauss-Legendre nodes on panels at most 2 wide), "
        "largest over the runs: " + "; ".join(parts)
    )


def mixture_lines(sections):
    """Markdown lines for the README from the mixture summaries ({section: {kind:
    kind_summary JSON}}, section "mixture" or "mixture_NAME"): per truth, the recovery and
    split fractions with their Clopper-Pearson intervals and the loss tail exponents with
    their bootstrap intervals per (n, Delta); sigma* per Delta with the split counts per
    spread and the law ln sigma* = a + b Delta; in d >= 2, the integration rule's accuracy."""
    lines = []
    for section, summaries in sections.items():
        for kind, summary in summaries.items():
            s = summary["settings"]
            level = f"{100 * s['level']:g}%"
            lines += [
                "",
                f"Mixture `{section}` `{kind}`: K = {s['components']} ({s['layout']}), d = {s['dim']}, "
                f"eta = {s['eta']}, {s['n_steps']} steps, seeds = runs per case (streams `{section}/{kind}/n<n>_d<d>` "
                f"of the root seed); fractions with {level} Clopper-Pearson intervals, exponents with {level} "
                "bootstrap intervals (`results/" + section + "/" + kind + ".json`):",
                "",
            ]
            lines += _small_init_lines(summary) if kind == "small_init" else _outcome_lines(summary)
            if s["dim"] >= 2:
                lines += ["", "In d >= 2 (rank k = 2): " + _rule_text(summary["cases"], s["hermite_nodes"]) + "."]
    return lines


def _outcome_lines(summary):
    lines = [
        "| n | Delta | every component recovered | split (all converged) | diverging students (count: runs) "
        "| tail exponent, recovered runs with a diverging student |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    return lines + [
        f"| {row['n']} | {row['separation']:g} | {_interval_text(row['recovered'])} | {_interval_text(row['split'])} "
        f"| {', '.join(f'{k}: {v}' for k, v in row['diverging_counts'].items())} "
        f"| {_exponent_text(row['rate']['recovered_with_diverging_mean_curve'])} |"
        for row in summary["cases"]
    ]


def _small_init_lines(summary):
    level = summary["settings"]["small_init"]["level"]
    lines = [
        f"sigma* = largest initial spread with split fraction >= {level} (split: every student converged, "
        "every component reached); split count per spread, and the intervals at the two spreads around sigma*:",
        "",
        "| n | Delta | sigma* | split per sigma | around sigma* |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in summary["cases"]:
        entries = row["by_sigma"]
        counts = ", ".join(f"{e['sigma']:.0e}: {e['count']}/{e['runs']}" for e in entries)
        around = "-"
        if row["sigma_star"] is not None:
            below = max((e for e in entries if e["sigma"] <= row["sigma_star"]), key=lambda e: e["sigma"])
            above = [e for e in entries if e["sigma"] > row["sigma_star"]]
            around = ", ".join(f"{e['sigma']:.0e}: {_interval_text(e)}" for e in [below, *above[:1]])
        lines.append(
            f"| {row['n']} | {row['separation']:g} | {_number(row['sigma_star'])} ({row['sigma_star_status']}) "
            f"| {counts} | {around} |"
        )
    for n, law in summary["laws"].items():
        if law is not None:
            lines += [
                "",
                f"n = {n}: ln sigma* = {law['intercept']:.2f} (+-{law['intercept_se']:.2f}) "
                f"{law['slope']:+.3f} (+-{law['slope_se']:.3f}) Delta over {law['n_points']} separations "
                f"(standard errors, residual sd {law['residual_sd']:.2f}).",
            ]
    return lines


# the README's generated blocks, each between its two marker lines
MEASURED_MARKERS = ("<!-- BEGIN measured (make readme-results) -->", "<!-- END measured -->")
BENCHMARK_MARKERS = ("<!-- BEGIN benchmark (make benchmark) -->", "<!-- END benchmark -->")
TIMINGS_MARKERS = ("<!-- BEGIN timings (make readme-results) -->", "<!-- END timings -->")
SPAN_ACCURACY_MARKERS = (
    "<!-- BEGIN span accuracy (benchmarks/span_accuracy.py) -->",
    "<!-- END span accuracy -->",
)
SPREAD_EFFECT_MARKERS = (
    "<!-- BEGIN spread effect (benchmarks/spread_rule_effect.py) -->",
    "<!-- END spread effect -->",
)
OUTER_LINE_MARKERS = (
    "<!-- BEGIN outer line rule (benchmarks/outer_line_rule_effect.py) -->",
    "<!-- END outer line rule -->",
)
RESULTS_CHANGE_MARKERS = (
    "<!-- BEGIN results change (benchmarks/compare_results.py) -->",
    "<!-- END results change -->",
)
GENERATED_BLOCKS = (
    MEASURED_MARKERS,
    BENCHMARK_MARKERS,
    TIMINGS_MARKERS,
    SPAN_ACCURACY_MARKERS,
    SPREAD_EFFECT_MARKERS,
    OUTER_LINE_MARKERS,
    RESULTS_CHANGE_MARKERS,
)


def replace_between_markers(text, block, *, markers):
    """text with everything between the marker lines markers = (begin, end) replaced by block."""
    begin, end = markers
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(f"the README must hold each marker once: {begin!r}, {end!r}")
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{block}{end}{tail}"


def rewrite_readme_block(path, block, *, markers):
    """Replace the block between markers in the README at path, written beside it and
    renamed into place (a failure leaves the README as it was)."""
    path = Path(path)
    text = replace_between_markers(path.read_text(), block, markers=markers)
    with partial_path(path) as partial:
        partial.write_text(text)


def print_and_publish(text, *, readme, markers):
    """Print a benchmark's text and, when readme names a README, write the same text into
    its block between markers (:func:`rewrite_readme_block`)."""
    print(text, end="")
    if readme:
        rewrite_readme_block(readme, text, markers=markers)
