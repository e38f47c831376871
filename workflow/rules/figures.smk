# Patch-PSNR heatmaps: f0's scores (Figure 1) and each method's result (Figure 3).
rule heatmaps:
    input:
        frames=lambda w: f"{VIDEO}/hr.npy".format(video=eval_video(w.video)),
        scores=lambda w: SCORES.format(video=eval_video(w.video), scale=w.scale),
        grid=lambda w: f"{PATCHES}/grid.json".format(video=eval_video(w.video), scale=w.scale),
        maps=lambda w: [
            f"{EVAL}/psnr_map.npy".format(video=w.video, scale=w.scale, backbone=w.backbone, method=m)
            for m in method_ids(w.video, w.backbone, single_chunk=False)
        ],
    output:
        png=HEATMAP,
    params:
        names=lambda w: " ".join(method_ids(w.video, w.backbone, single_chunk=False)),
        frames=config["figures"]["frames"],
        title=lambda w: f"{w.video} x{w.scale} {w.backbone}: per-patch PSNR",
    log:
        f"{LOGS}/figures/heatmaps_{{video}}_x{{scale}}_{{backbone}}.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo.figures --hr {input.frames} --scores {input.scores} --grid {input.grid} "
        "--maps {input.maps} --names {params.names} --frames {params.frames} "
        "--title '{params.title}' --out {output.png} > {log} 2>&1"


rule figures:
    input:
        expand(
            HEATMAP,
            video=TABLE_VIDEOS,
            scale=config["scales"],
            backbone=list(BACKBONES),
        ),
