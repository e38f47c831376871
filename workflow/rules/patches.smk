# Cut LR and HR frames into the configured patch grid (memory-mapped arrays + index table).
rule patches:
    input:
        lr=rules.degrade.output.lr,
        hr=rules.ingest.output.frames,
    output:
        **paths.patch_files(),
    log:
        f"{paths.LOGS}/patches/{{video}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        cols=lambda w: PLAN.grid(w.scale)[0],
        rows=lambda w: PLAN.grid(w.scale)[1],
        outdir=paths.PATCHES,
    shell:
        "python -m stdo patches --lr {input.lr} --hr {input.hr} --scale {wildcards.scale} "
        "--cols {params.cols} --rows {params.rows} --outdir {params.outdir} > {log} 2>&1"
