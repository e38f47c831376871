# Bicubic (antialiased) downscaling of the HR frames by each scale.
rule degrade:
    input:
        frames=f"{VIDEO}/hr.npy",
    output:
        lr=f"{SCALED}/lr.npy",
    log:
        f"{LOGS}/degrade/{{video}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.degrade --hr {input.frames} --scale {wildcards.scale} "
        "--out {output.lr} > {log} 2>&1"
