# Gather every verdict record (theorem experiments and the rates stage) into one table.


rule gather_verdicts:
    input:
        theorem_verdict_files(),
        rate_verdict_files(),
    output:
        csv="results/verdicts.csv",
        md="results/verdicts.md",
    log:
        "logs/verdicts/gather.log",
    benchmark:
        "results/benchmarks/verdicts/gather.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        thresholds={"theorems": THEOREMS, "rates": RATES["thresholds"]},
        command=lambda wc, output: regenerate_command(output.csv),
    script:
        "../../scripts/gather_verdicts.py"
