# Delivery (stdo.delivery): per video, scale, backbone and method the bundle a client receives (the
# LR stream degrade wrote, the method's models in rate.model_dtype, STDO's packed patch-to-chunk
# map, a manifest of every part's bytes); the HR rate ladder of each video (the HR video encoded
# alone with the same codec); the rate table and figure (snakemake rate). Play a bundle back with
# stdo upscale BUNDLE -o out.mp4.
rule bundle:
    input:
        stream=lambda w: LR_STREAM.format(video=eval_video(w.video), scale=w.scale),
        meta=lambda w: f"{VIDEO}/meta.json".format(video=eval_video(w.video)),
        patches=lambda w: patch_files(eval_video(w.video), w.scale),
        models=method_models,
        partition=method_partition,
    output:
        bundle=directory(BUNDLE),
    params:
        patches=lambda w, input: os.path.dirname(input.patches[0]),
        partition=lambda w, input: f"--partition {input.partition[0]}" if input.partition else "",
        dtype=config.get("rate", {}).get("model_dtype", "float16"),
    log:
        f"{LOGS}/bundle/{{video}}_x{{scale}}_{{backbone}}_{{method}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo delivery.bundle --video {wildcards.video} --scale {wildcards.scale} "
        "--backbone {wildcards.backbone} --method {wildcards.method} --stream {input.stream} "
        "--patches {params.patches} --meta {input.meta} --models {input.models} {params.partition} "
        "--dtype {params.dtype} --out {output.bundle} > {log} 2>&1"


rule rate_ladder:
    input:
        hr=f"{VIDEO}/hr.npy",
        meta=f"{VIDEO}/meta.json",
    output:
        csv=LADDER,
    params:
        ladder=lambda w: json_arg(PLAN.ladder(w.video)),
    log:
        f"{LOGS}/rate/{{video}}_ladder.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo delivery.rate ladder --video {wildcards.video} --hr {input.hr} --meta {input.meta} "
        "--ladder {params.ladder} --out {output.csv} > {log} 2>&1"


rule rate_report:
    input:
        bundles=bundle_dirs(),
        metrics=delivery_metrics(),
        ladders=ladders(),
        references=[SCORE_SUMMARY.format(video=eval_video(v), scale=s) for v in TABLE_VIDEOS for s in config["scales"]],
    output:
        csv=f"{RATE_TABLE}.csv",
        md=f"{RATE_TABLE}.md",
        png=f"{RATE_FIGURE}.png",
        pdf=f"{RATE_FIGURE}.pdf",
        data=f"{RATE_FIGURE}.csv",
    log:
        f"{LOGS}/rate/report.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo delivery.rate report --bundles {input.bundles} --metrics {input.metrics} "
        "--ladders {input.ladders} --references {input.references} --out-csv {output.csv} --out-md {output.md} --out-png {output.png} "
        "--out-pdf {output.pdf} --out-data {output.data} > {log} 2>&1"


rule rate:
    input:
        rules.rate_report.output,
