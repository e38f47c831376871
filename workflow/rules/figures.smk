# Patch-PSNR heatmaps: f0's scores (Figure 1) and each method's result (Figure 3).
rule heatmaps:
    input:
        frames=lambda w: f"results/videos/{eval_video(w.video)}/hr.npy",
        scores=lambda w: f"results/videos/{eval_video(w.video)}/x{w.scale}/scores.csv",
        grid=lambda w: f"results/videos/{eval_video(w.video)}/x{w.scale}/patches/grid.json",
        maps=lambda w: [
            f"{SCALED}/{w.backbone}/eval/{m}/psnr_map.npy".format(video=w.video, scale=w.scale)
            for m in method_ids(w.video, w.backbone, single_chunk=False)
        ],
    output:
        png="results/figures/heatmaps/{video}_x{scale}_{backbone}.png",
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
            "results/figures/heatmaps/{video}_x{scale}_{backbone}.png",
            video=TABLE_VIDEOS,
            scale=config["scales"],
            backbone=list(BACKBONES),
        ),
