# Report support: the provenance of every figure and table, as one report table.
# Included last: it lists the targets of the other stages.


def report_inputs():
    """Every figure (PNG) and table that the report shows."""
    figures = [
        f
        for f in all_figures() + rate_targets() + theorem_targets()
        if f.endswith(".png")
    ]
    return figures + ["results/verdicts.csv", "results/rates.csv"]


rule provenance_table:
    input:
        report_inputs(),
    output:
        report(
            "results/provenance.csv",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "logs/report/provenance.log",
    benchmark:
        "results/benchmarks/report/provenance.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=5,
        mem_mb=500,
    script:
        "../../scripts/provenance_table.py"
