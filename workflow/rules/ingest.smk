# Decode a video (a file, or VSD4K clips' PNG frames) into memory-mapped HR frames with metadata.
rule ingest:
    input:
        source=ingest_input,
    output:
        frames=f"{VIDEO}/hr.npy",
        meta=f"{VIDEO}/meta.json",
    params:
        source=ingest_source,
        frames=lambda w: json_arg(VIDEOS[w.video].get("frames")),
        crop=lambda w: json_arg(VIDEOS[w.video].get("crop")),
        fit=fit_args,
        split=ingest_split,
        duration=ingest_duration,
        clip_frames=lambda w: (
            f"--clip-frames {VIDEOS[w.video]['clip_frames']}" if VIDEOS[w.video].get("clip_frames") else ""
        ),
        on_corrupt=lambda w: VIDEOS[w.video].get("on_corrupt", "error"),
    log:
        f"{LOGS}/ingest/{{video}}.log",
    conda:
        "../../envs/video.yaml"
    shell:
        "python -m stdo ingest {params.source} --frames {params.frames} --crop {params.crop} "
        "{params.fit} {params.split} {params.duration} {params.clip_frames} --on-corrupt {params.on_corrupt} --out-frames {output.frames} --out-meta {output.meta} > {log} 2>&1"
