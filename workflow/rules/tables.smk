# The paper's Tables 1-4 from the evaluation metrics, with the paper's values beside ours.
rule table:
    input:
        metrics=metrics_files(),
        references=score_summaries(),
        regime=f"{REGIME}.csv",
    output:
        csv=f"{TABLE}.csv",
        md=f"{TABLE}.md",
    params:
        stdo_k=stdo_k_arg(),
    wildcard_constraints:
        n="[1-4]",
    log:
        f"{LOGS}/tables/table{{n}}.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo tables --table {wildcards.n} --metrics {input.metrics} {params.stdo_k} "
        "--references {input.references} --regime {input.regime} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"


rule tables:
    input:
        expand(f"{TABLE}.{{ext}}", n=PLAN.tables_to_build(), ext=["csv", "md"]),
        rules.claims.output,
        rules.regime.output,
        rules.figures.input,
        ablation_outputs(),
