# Cut LR and HR frames into the configured patch grid (memory-mapped arrays + index table).
rule patches:
    input:
        lr=f"{SCALED}/lr.npy",
        hr=f"{VIDEO}/hr.npy",
    output:
        patch_files(),
    params:
        cols=lambda w: grid(w.scale)[0],
        rows=lambda w: grid(w.scale)[1],
        outdir=lambda w, output: os.path.dirname(output[0]),
    log:
        f"{LOGS}/patches/{{video}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo patches --lr {input.lr} --hr {input.hr} --scale {wildcards.scale} "
        "--cols {params.cols} --rows {params.rows} --outdir {params.outdir} > {log} 2>&1"
