# Decode a video (a file, or VSD4K clips' PNG frames) into memory-mapped HR frames with metadata.
rule ingest:
    input:
        source=lambda w: PLAN.ingest_inputs(w.video),
    output:
        frames=paths.HR,
        meta=paths.META,
    log:
        f"{paths.LOGS}/ingest/{{video}}.log",
    conda:
        "../../envs/video.yaml"
    params:
        source=lambda w, input: PLAN.ingest_source_arg(w.video, input.source),
        frames=lambda w: json_arg(VIDEOS[w.video].get("frames")),
        crop=lambda w: json_arg(VIDEOS[w.video].get("crop")),
        fit=lambda w: PLAN.fit_arg(w.video),
        split=lambda w: PLAN.ingest_split_arg(w.video),
        duration=lambda w: PLAN.ingest_duration_arg(w.video),
        clip_frames=lambda w: flag("--clip-frames", VIDEOS[w.video].get("clip_frames")),
        on_corrupt=lambda w: VIDEOS[w.video].get("on_corrupt", "error"),
    shell:
        "python -m stdo ingest {params.source} --frames {params.frames} --crop {params.crop} "
        "{params.fit} {params.split} {params.duration} {params.clip_frames} --on-corrupt {params.on_corrupt} --out-frames {output.frames} --out-meta {output.meta} > {log} 2>&1"
