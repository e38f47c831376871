# LR frames per scale: bicubic (antialiased) downscaling of the HR frames, or, for VSD4K
# clips, the dataset's own LR frames as they are.
rule degrade:
    input:
        frames=f"{VIDEO}/hr.npy",
        meta=f"{VIDEO}/meta.json",
        clips=lambda w: vsd4k_dirs(w.video),
    output:
        lr=f"{SCALED}/lr.npy",
    params:
        vsd4k=lambda w, input: f"--vsd4k {','.join(input.clips)} --meta {input.meta}" if input.clips else "",
    log:
        f"{LOGS}/degrade/{{video}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.degrade --hr {input.frames} --scale {wildcards.scale} {params.vsd4k} "
        "--out {output.lr} > {log} 2>&1"
