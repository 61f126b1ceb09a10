# Report support: the landing page (claims table first, then the figures), the tables as
# HTML pages, and the provenance of every figure and table.
# Included last: report_inputs() (common.smk) lists the targets of the other stages.

# The claims the landing page lists and how their rows are read
# (scripts/landing_page.py, scorematch.report).
CLAIMS_TABLE = "results/claims.csv"
REPORT_TABLES = {
    "claims": "Every claim of the paper under its hypotheses",
    "rates": "Fitted convergence rates",
    "step_size": "Outcomes and tail exponents against the step size",
    "provenance": "Provenance of every figure and table",
}


# the landing page and the HTML view of every table
REPORT_PAGES = ["results/report/landing.rst"] + [
    f"results/report/{table}.html" for table in REPORT_TABLES
]


rule provenance_table:
    input:
        report_inputs(),
    output:
        "results/provenance.csv",
    log:
        "logs/report/provenance.log",
    benchmark:
        "results/benchmarks/report/provenance.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/provenance_table.py"


rule landing_page:
    input:
        introduction="workflow/report/workflow.rst",
        claims=CLAIMS_TABLE,
    output:
        "results/report/landing.rst",
    log:
        "logs/report/landing_page.log",
    benchmark:
        "results/benchmarks/report/landing_page.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        figures=[f for f in report_inputs() if f.endswith(".png")],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/landing_page.py"


rule table_page:
    input:
        "results/{table}.csv",
    output:
        report(
            "results/report/{table}.html",
            caption="../report/table.rst",
            category="Tables",
        ),
    log:
        "logs/report/table_{table}.log",
    benchmark:
        "results/benchmarks/report/table_{table}.tsv"
    wildcard_constraints:
        table="|".join(REPORT_TABLES),
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        title=lambda wc: REPORT_TABLES[wc.table],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/table_page.py"
