# The paper's ablations (Section 4.5), from the evaluations they name (stdo.report.ablations):
# Figure 7a (STDO against the number of chunks), Figure 7b (JSTDO sampling schedules), and
# STDO on a long video with scene changes.
rule ablation_figure:
    input:
        metrics=lambda w: PLAN.ablation_metrics(w.name),
    output:
        csv=f"{paths.ABLATION}.csv",
        md=f"{paths.ABLATION}.md",
        png=report(
            f"{paths.ABLATION}.png",
            caption="../report/figure7.rst",
            category="Figures",
            labels={"figure": "7 ({name})"},
        ),
        pdf=f"{paths.ABLATION}.pdf",
    log:
        f"{paths.LOGS}/ablations/{{name}}.log",
    wildcard_constraints:
        name="chunks|schedules",
    conda:
        "../../envs/report.yaml"
    params:
        args=lambda w: PLAN.ablation_args(w.name),
    shell:
        "python -m stdo ablations --kind {wildcards.name} --metrics {input.metrics} {params.args} "
        "--out-csv {output.csv} --out-md {output.md} --out-png {output.png} --out-pdf {output.pdf} > {log} 2>&1"


rule ablation_long_video:
    input:
        metrics=PLAN.ablation_metrics("long_video"),
    output:
        csv=f"{paths.ABLATION}.csv".format(name="long_video"),
        md=f"{paths.ABLATION}.md".format(name="long_video"),
    log:
        f"{paths.LOGS}/ablations/long_video.log",
    conda:
        "../../envs/report.yaml"
    params:
        args=lambda w: PLAN.ablation_args("long_video"),
    shell:
        "python -m stdo ablations --kind long_video --metrics {input.metrics} {params.args} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
