# Per-patch PSNR of f0 against HR: the input of the PSNR partition.
rule score:
    input:
        patches=patch_files(),
        f0=f0_model,
    output:
        scores=SCORES,
        summary=SCORE_SUMMARY,
    params:
        patches=lambda w, input: os.path.dirname(input.patches[0]),
        batch_size=config["score"]["batch_size"],
        labels=labels,
        device=config["device"],
    threads: torch_threads()
    resources:
        gpu=GPUS,
    priority: 10  # on the critical path: every STDO and JSTDO unit waits for it
    log:
        f"{LOGS}/score/{{video}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo score --patches {params.patches} --model {input.f0} "
        "--batch-size {params.batch_size} --device {params.device} --threads {threads} "
        "--labels {params.labels} --out {output.scores} --out-summary {output.summary} > {log} 2>&1"
