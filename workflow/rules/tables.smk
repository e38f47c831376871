# The paper's tables from the evaluation metrics, with the paper's values beside ours.
rule table2:
    input:
        metrics=metrics_files(),
    output:
        csv="results/tables/table2.csv",
        md="results/tables/table2.md",
    log:
        f"{LOGS}/tables/table2.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo.tables --table 2 --metrics {input.metrics} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"


rule tables:
    input:
        rules.table2.output,
        rules.figures.input,
