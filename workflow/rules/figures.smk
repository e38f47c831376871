# The paper's figures (stdo.report.figures), each as PNG and PDF with the data plotted as CSV:
# Figure 1 (f0's patch PSNR on two frames), Figure 3 (CaFM, STDO, JSTDO heatmaps), Figure 4
# (qualitative crops), Figure 6 (JSTDO schedules' heatmaps), a side-by-side clip, the overview
# heatmaps of every cell, and the report's page "the paper against this run". Figures 7a and 7b
# are the ablations' (ablations.smk), Figure 5 the benchmarks' (bench.smk).
rule figure1:
    input:
        hr=expand(rules.ingest.output.frames, video=FIG_VIDEO),
        scores=expand(rules.score.output.scores, video=FIG_VIDEO, scale=FIG_SCALE),
        grid=expand(rules.patches.output.grid, video=FIG_VIDEO, scale=FIG_SCALE),
    output:
        png=report(f"{paths.FIGURE}.png".format(n=1), caption="../report/figure1.rst", category="Figures"),
        pdf=f"{paths.FIGURE}.pdf".format(n=1),
        csv=f"{paths.FIGURE}.csv".format(n=1),
    log:
        f"{paths.LOGS}/figures/figure1.log",
    conda:
        "../../envs/report.yaml"
    params:
        cell=FIG,
        positions=PLAN.positions_arg(),
        f0=config["pretrain"]["backbone"],  # f0's backbone (the figure is about f0)
    shell:
        "python -m stdo figures.patch_psnr --figure 1 --hr {input.hr} --scores {input.scores} "
        "--grid {input.grid} --positions {params.positions} --video {params.cell[video]} --scale {params.cell[scale]} "
        "--backbone {params.f0} --out-png {output.png} --out-pdf {output.pdf} "
        "--out-data {output.csv} > {log} 2>&1"


rule figure3:
    input:
        hr=expand(rules.ingest.output.frames, video=eval_video(FIG_VIDEO)),
        maps=PLAN.figure_evals(paths.PSNR_MAP),
        metrics=PLAN.figure_evals(paths.METRICS),
    output:
        png=report(f"{paths.FIGURE}.png".format(n=3), caption="../report/figure3.rst", category="Figures"),
        pdf=f"{paths.FIGURE}.pdf".format(n=3),
        csv=f"{paths.FIGURE}.csv".format(n=3),
    log:
        f"{paths.LOGS}/figures/figure3.log",
    conda:
        "../../envs/report.yaml"
    params:
        cell=FIG,
        positions=PLAN.positions_arg(),
        stdo_k=PLAN.stdo_k_arg(),
    shell:
        "python -m stdo figures.patch_psnr --figure 3 --hr {input.hr} --maps {input.maps} "
        "--metrics {input.metrics} {params.stdo_k} --positions {params.positions} "
        "--video {params.cell[video]} --scale {params.cell[scale]} --backbone {params.cell[backbone]} "
        "--out-png {output.png} --out-pdf {output.pdf} --out-data {output.csv} > {log} 2>&1"


rule figure4:
    input:
        patches=expand(rules.patches.output, video=eval_video(FIG_VIDEO), scale=FIG_SCALE),
        metrics=PLAN.figure_evals(paths.METRICS),
        models=cell_models(FIG_CELL),
        partitions=cell_partitions(FIG_CELL),
    output:
        png=report(f"{paths.FIGURE}.png".format(n=4), caption="../report/figure4.rst", category="Figures"),
        pdf=f"{paths.FIGURE}.pdf".format(n=4),
        csv=f"{paths.FIGURE}.csv".format(n=4),
    log:
        f"{paths.LOGS}/figures/figure4.log",
    conda:
        "../../envs/report.yaml"
    params:
        cell=FIG,
        patches=patch_dir,
        positions=PLAN.positions_arg(),
        stdo_k=PLAN.stdo_k_arg(),
        batch_size=config["evaluate"]["batch_size"],
        device=config["device"],
    shell:
        "python -m stdo figures.crops --patches {params.patches} --metrics {input.metrics} "
        "--models {input.models} --partitions {input.partitions} {params.stdo_k} "
        "--positions {params.positions} --video {params.cell[video]} --backbone {params.cell[backbone]} "
        "--batch-size {params.batch_size} --device {params.device} "
        "--out-png {output.png} --out-pdf {output.pdf} --out-data {output.csv} > {log} 2>&1"


rule figure6:
    input:
        hr=lambda w: expand(
            rules.ingest.output.frames, video=eval_video(PLAN.ablation("schedules").spec["video"])
        ),
        maps=lambda w: PLAN.schedule_maps(),
    output:
        png=report(f"{paths.FIGURE}.png".format(n=6), caption="../report/figure6.rst", category="Figures"),
        pdf=f"{paths.FIGURE}.pdf".format(n=6),
        csv=f"{paths.FIGURE}.csv".format(n=6),
    log:
        f"{paths.LOGS}/figures/figure6.log",
    conda:
        "../../envs/report.yaml"
    params:
        positions=PLAN.positions_arg(),
        proportions=lambda w: json_arg(PLAN.ablation("schedules").spec["proportions"]),
        spec=lambda w: PLAN.ablation("schedules").spec,
    shell:
        "python -m stdo figures.patch_psnr --figure 6 --hr {input.hr} --maps {input.maps} "
        "--proportions {params.proportions} --positions {params.positions} "
        "--video {params.spec[video]} --scale {params.spec[scale]} --backbone {params.spec[backbone]} "
        "--out-png {output.png} --out-pdf {output.pdf} --out-data {output.csv} > {log} 2>&1"


rule side_by_side:
    input:
        patches=expand(rules.patches.output, video=eval_video(FIG_VIDEO), scale=FIG_SCALE),
        meta=expand(rules.ingest.output.meta, video=eval_video(FIG_VIDEO)),
        reference=expand(rules.score.output.summary, video=eval_video(FIG_VIDEO), scale=FIG_SCALE),
        metrics=PLAN.figure_evals(paths.METRICS),
        models=cell_models(FIG_CELL),
        partitions=cell_partitions(FIG_CELL),
    output:
        mp4=report(paths.CLIP, caption="../report/side_by_side.rst", category="Figures"),
        csv=paths.CLIP_DATA,
    log:
        f"{paths.LOGS}/figures/side_by_side.log",
    conda:
        "../../envs/report.yaml"
    params:
        cell=FIG,
        patches=patch_dir,
        seconds=flag("--seconds", config["figures"].get("clip_seconds")),
        stdo_k=PLAN.stdo_k_arg(),
        batch_size=config["evaluate"]["batch_size"],
        device=config["device"],
    shell:
        "python -m stdo figures.clip --patches {params.patches} --meta {input.meta} "
        "--reference {input.reference} --metrics {input.metrics} --models {input.models} "
        "--partitions {input.partitions} {params.stdo_k} {params.seconds} --video {params.cell[video]} "
        "--backbone {params.cell[backbone]} --batch-size {params.batch_size} --device {params.device} "
        "--out {output.mp4} --out-data {output.csv} > {log} 2>&1"


# Overview: every method's patch-PSNR heatmaps on a few frames, per video, scale and backbone.
rule heatmaps:
    input:
        frames=of_eval_video(rules.ingest.output.frames),
        scores=of_eval_video(rules.score.output.scores),
        grid=of_eval_video(rules.patches.output.grid),
        maps=lambda w: PLAN.heatmap_maps(w.video, w.scale, w.backbone),
    output:
        png=report(
            paths.HEATMAP,
            caption="../report/heatmaps.rst",
            category="Overview heatmaps",
            labels={"video": "{video}", "scale": "x{scale}", "backbone": "{backbone}"},
        ),
    log:
        f"{paths.LOGS}/figures/heatmaps_{{video}}_x{{scale}}_{{backbone}}.log",
    conda:
        "../../envs/report.yaml"
    params:
        names=lambda w: " ".join(method_ids(w.video, w.backbone, single_chunk=False)),
        frames=config["figures"]["frames"],
        title=lambda w: f"{w.video} x{w.scale} {w.backbone}: per-patch PSNR",
    shell:
        "python -m stdo figures.heatmaps --hr {input.frames} --scores {input.scores} --grid {input.grid} "
        "--maps {input.maps} --names {params.names} --frames {params.frames} "
        "--title '{params.title}' --out {output.png} > {log} 2>&1"


rule figures:
    input:
        PLAN.figure_outputs(),
