# LR frames per scale: bicubic (antialiased) downscaling of the HR frames, or, for VSD4K
# clips, the dataset's own LR frames as they are. The LR frames are also written as a stream:
# with degrade.codec (or the video's own degrade.codec) encoded with that codec, the decoded
# frames then being the LR frames every later stage uses (what a client receives); without it
# losslessly (FFV1), the LR frames unchanged (stdo.video.codec).
rule degrade:
    input:
        frames=rules.ingest.output.frames,
        meta=rules.ingest.output.meta,
        clips=lambda w: PLAN.vsd4k_dirs(w.video),
    output:
        lr=paths.LR,
        stream=paths.LR_STREAM,
    log:
        f"{paths.LOGS}/degrade/{{video}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        vsd4k=lambda w, input: flag("--vsd4k", ",".join(input.clips)),
        codec=lambda w: PLAN.lr_codec_arg(w.video),
    shell:
        "python -m stdo degrade --hr {input.frames} --scale {wildcards.scale} {params.vsd4k} "
        "--meta {input.meta} {params.codec} --stream {output.stream} --out {output.lr} > {log} 2>&1"
