# The report: the page "the paper against this run", the tables as HTML pages, and the
# Snakemake report (results/report.html) that gathers them with every figure and caption
# (workflow/report/*.rst). `snakemake --report results/report.html` makes the same report by hand.
rule paper_vs_run:
    input:
        tables=expand(f"{TABLE}.csv", n=PLAN.tables_to_build()),
        claims=f"{CLAIMS}.csv",
    output:
        html=report(
            f"{PAPER_VS_RUN}.html", caption="../report/paper_vs_run.rst", category="Paper vs this run"
        ),
        csv=f"{PAPER_VS_RUN}.csv",
    log:
        f"{LOGS}/report/paper_vs_run.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo figures.paper_vs_run --tables {input.tables} --claims {input.claims} "
        "--out-html {output.html} --out-csv {output.csv} > {log} 2>&1"


rule table_html:
    input:
        csv="results/{folder}/{table}.csv",
        md="results/{folder}/{table}.md",
    output:
        html=report(
            "results/report/{folder}/{table}.html",
            caption="../report/table.rst",
            category="Tables",
            labels={"table": "{table}"},
        ),
    wildcard_constraints:
        folder="tables|ablations",
        table=r"[a-z0-9_]+",
    log:
        f"{LOGS}/report/{{folder}}_{{table}}.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo figures.table_page --csv {input.csv} --md {input.md} --out {output.html} > {log} 2>&1"


rule report:
    input:
        report_inputs(),
    output:
        REPORT,
    params:
        snakefile=workflow.main_snakefile,
        config=CONFIG_SNAPSHOT,
    log:
        f"{LOGS}/report/report.log",
    conda:
        "../../envs/snakemake.yaml"
    shell:
        "python -m snakemake -s {params.snakefile} --configfile {params.config} --nolock "
        "--report {output} report_files > {log} 2>&1"


rule report_files:
    input:
        report_inputs(),
