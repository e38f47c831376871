# Delivery (stdo.delivery): per video, scale, backbone and method the bundle a client receives (the
# LR stream degrade wrote, the method's models in rate.model_dtype or, with rate.model_coding:
# delta, as differences from the generic model they started from, STDO's packed patch-to-chunk
# map, a manifest of every part's bytes); the HR rate ladder of each video (the HR video encoded
# alone with the same codec); the rate table and figure (snakemake rate), one rate-distortion
# curve per method over the LR stream's qualities (the video's own degrade.codec crf and the
# videos <video>_crf<crf> of rate.lr_crf, each its own degrade -> train -> evaluate path). Play a
# bundle back with stdo upscale BUNDLE -o out.mp4 (--generic MODEL for a delta bundle).
rule bundle:
    input:
        stream=of_eval_video(rules.degrade.output.stream),
        meta=of_eval_video(rules.ingest.output.meta),
        patches=of_eval_video(rules.patches.output),
        models=method_models,
        partition=method_partition,
        generic=lambda w: PLAN.bundle_generic(w.backbone, w.scale),
    output:
        bundle=directory(paths.BUNDLE),
    log:
        f"{paths.LOGS}/bundle/{{video}}_x{{scale}}_{{backbone}}_{{method}}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        patches=patch_dir,
        partition=input_flag("--partition", "partition"),
        dtype=config.get("rate", {}).get("model_dtype", "float16"),
        coding=lambda w, input: PLAN.bundle_coding_arg(input.generic),
    shell:
        "python -m stdo delivery.bundle --video {wildcards.video} --scale {wildcards.scale} "
        "--backbone {wildcards.backbone} --method {wildcards.method} --stream {input.stream} "
        "--patches {params.patches} --meta {input.meta} --models {input.models} {params.partition} "
        "--dtype {params.dtype} --out {output.bundle}{params.coding} > {log} 2>&1"


rule rate_ladder:
    input:
        hr=rules.ingest.output.frames,
        meta=rules.ingest.output.meta,
    output:
        csv=paths.LADDER,
    log:
        f"{paths.LOGS}/rate/{{video}}_ladder.log",
    conda:
        "../../envs/torch.yaml"
    params:
        ladder=lambda w: json_arg(PLAN.ladder(w.video)),
    shell:
        "python -m stdo delivery.rate ladder --video {wildcards.video} --hr {input.hr} --meta {input.meta} "
        "--ladder {params.ladder} --out {output.csv} > {log} 2>&1"


rule rate_report:
    input:
        bundles=PLAN.bundle_dirs(),
        metrics=PLAN.delivery_metrics(),
        ladders=PLAN.ladders(),
        references=PLAN.delivery_references(),
    output:
        csv=f"{paths.RATE_TABLE}.csv",
        md=f"{paths.RATE_TABLE}.md",
        png=f"{paths.RATE_FIGURE}.png",
        pdf=f"{paths.RATE_FIGURE}.pdf",
        data=f"{paths.RATE_FIGURE}.csv",
    log:
        f"{paths.LOGS}/rate/report.log",
    conda:
        "../../envs/report.yaml"
    params:
        curves=PLAN.curves_arg(),
    shell:
        "python -m stdo delivery.rate report --bundles {input.bundles} --metrics {input.metrics} "
        "--ladders {input.ladders} --references {input.references} --out-csv {output.csv} --out-md {output.md} --out-png {output.png} "
        "--out-pdf {output.pdf} --out-data {output.data}{params.curves} > {log} 2>&1"


rule rate:
    input:
        rules.rate_report.output,
