# Report support: the provenance of every figure and table, as one report table.
# Included last: report_inputs() (common.smk) lists the targets of the other stages.


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
    params:
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/provenance_table.py"
