# Decode a video into memory-mapped HR frames with its metadata.
rule ingest:
    input:
        video=lambda w: VIDEOS[w.video]["source"],
    output:
        frames=f"{VIDEO}/hr.npy",
        meta=f"{VIDEO}/meta.json",
    params:
        frames=lambda w: json_arg(VIDEOS[w.video].get("frames")),
        crop=lambda w: json_arg(VIDEOS[w.video].get("crop")),
    log:
        f"{LOGS}/ingest/{{video}}.log",
    conda:
        "../../envs/video.yaml"
    shell:
        "python -m stdo.ingest --video {input.video} --frames {params.frames} "
        "--crop {params.crop} --out-frames {output.frames} --out-meta {output.meta} > {log} 2>&1"
