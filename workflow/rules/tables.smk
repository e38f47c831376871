# The paper's Tables 1-4 from the evaluation metrics, with the paper's values beside ours.
rule table:
    input:
        metrics=PLAN.metrics_files(),
        references=PLAN.score_summaries(),
        regime=rules.regime.output.csv,
    output:
        csv=f"{paths.TABLE}.csv",
        md=f"{paths.TABLE}.md",
    log:
        f"{paths.LOGS}/tables/table{{n}}.log",
    wildcard_constraints:
        n="[1-4]",
    conda:
        "../../envs/report.yaml"
    params:
        stdo_k=PLAN.stdo_k_arg(),
    shell:
        "python -m stdo tables --table {wildcards.n} --metrics {input.metrics} {params.stdo_k} "
        "--references {input.references} --regime {input.regime} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"


rule tables:
    input:
        PLAN.table_files(),
        rules.claims.output,
        rules.regime.output,
        rules.figures.input,
        PLAN.ablation_outputs(),
        PLAN.budget_outputs(),
