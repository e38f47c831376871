# The paper's ablations (Section 4.5), from the evaluations they name (stdo.report.ablations):
# Figure 7a (STDO against the number of chunks), Figure 7b (JSTDO sampling schedules), and
# STDO on a long video with scene changes.
rule ablation_figure:
    input:
        metrics=lambda w: ablation_metrics(w.name),
    output:
        csv=f"{ABLATION}.csv",
        md=f"{ABLATION}.md",
        png=report(f"{ABLATION}.png", caption="../report/figure7.rst", category="Figures", labels={"figure": "7 ({name})"}),
        pdf=f"{ABLATION}.pdf",
    params:
        args=ablation_args,
    wildcard_constraints:
        name="chunks|schedules",
    log:
        f"{LOGS}/ablations/{{name}}.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo ablations --kind {wildcards.name} --metrics {input.metrics} {params.args} "
        "--out-csv {output.csv} --out-md {output.md} --out-png {output.png} --out-pdf {output.pdf} > {log} 2>&1"


rule ablation_long_video:
    input:
        metrics=ablation_metrics("long_video") if PLAN.ablation("long_video") else [],
    output:
        csv=f"{ABLATION}.csv".format(name="long_video"),
        md=f"{ABLATION}.md".format(name="long_video"),
    params:
        args=lambda w: ablation_args(w),
    log:
        f"{LOGS}/ablations/long_video.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo ablations --kind long_video --metrics {input.metrics} {params.args} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
