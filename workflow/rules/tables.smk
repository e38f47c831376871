# The paper's Tables 1-4 from the evaluation metrics, with the paper's values beside ours.
rule table:
    input:
        metrics=metrics_files(),
        references=score_summaries(),
    output:
        csv="results/tables/table{n}.csv",
        md="results/tables/table{n}.md",
    wildcard_constraints:
        n="[1-4]",
    log:
        f"{LOGS}/tables/table{{n}}.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo.tables --table {wildcards.n} --metrics {input.metrics} "
        "--references {input.references} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"


rule tables:
    input:
        expand("results/tables/table{n}.{ext}", n=tables_to_build(), ext=["csv", "md"]),
        "results/tables/claims.csv",
        "results/tables/claims.md",
        rules.figures.input,
        ablation_outputs(),
