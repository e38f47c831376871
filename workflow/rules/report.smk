# The report: the page "the paper against this run", the tables as HTML pages, and the
# Snakemake report (results/report.html) that gathers them with every figure and caption
# (workflow/report/*.rst). `snakemake --report results/report.html` makes the same report by hand.
rule paper_vs_run:
    input:
        tables=expand(rules.table.output.csv, n=PLAN.tables_to_build()),
        claims=rules.claims.output.csv,
    output:
        html=report(
            f"{paths.PAPER_VS_RUN}.html", caption="../report/paper_vs_run.rst", category="Paper vs this run"
        ),
        csv=f"{paths.PAPER_VS_RUN}.csv",
    log:
        f"{paths.LOGS}/report/paper_vs_run.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo figures.paper_vs_run --tables {input.tables} --claims {input.claims} "
        "--out-html {output.html} --out-csv {output.csv} > {log} 2>&1"


rule table_html:
    input:
        csv=f"{paths.TABLE_SOURCE}.csv",
        md=f"{paths.TABLE_SOURCE}.md",
    output:
        html=report(
            paths.TABLE_PAGE,
            caption="../report/table.rst",
            category="Tables",
            labels={"table": "{table}"},
        ),
    log:
        f"{paths.LOGS}/report/{{folder}}_{{table}}.log",
    wildcard_constraints:
        folder="tables|ablations",
        table=r"[a-z0-9_]+",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo figures.table_page --csv {input.csv} --md {input.md} --out {output.html} > {log} 2>&1"


# Everything the report shows: the tables' pages, the figures, Figure 5, the paper against this run.
REPORT_INPUTS = [*PLAN.report_pages(), rules.bench_report.output.png, rules.paper_vs_run.output.html]


rule report:
    input:
        REPORT_INPUTS,
    output:
        report=paths.REPORT,
    log:
        f"{paths.LOGS}/report/report.log",
    conda:
        "../../envs/snakemake.yaml"
    params:
        snakefile=workflow.main_snakefile,
        config=CONFIG_SNAPSHOT,
    shell:
        "python -m snakemake -s {params.snakefile} --configfile {params.config} --nolock "
        "--report {output.report} report_files > {log} 2>&1"


rule report_files:
    input:
        REPORT_INPUTS,
