# Per-patch PSNR of f0 against HR: the input of the PSNR partition.
rule score:
    input:
        patches=rules.patches.output,
        f0=lambda w: PLAN.f0_model(w.scale),
    output:
        scores=paths.SCORES,
        summary=paths.SCORE_SUMMARY,
    log:
        f"{paths.LOGS}/score/{{video}}_x{{scale}}.log",
    priority: 10  # on the critical path: every STDO and JSTDO unit waits for it
    conda:
        "../../envs/torch.yaml"
    threads: torch_threads()
    resources:
        gpu=GPUS,
    params:
        patches=patch_dir,
        batch_size=config["score"]["batch_size"],
        labels=labels,
        device=config["device"],
    shell:
        "python -m stdo score --patches {params.patches} --model {input.f0} "
        "--batch-size {params.batch_size} --device {params.device} --threads {threads} "
        "--labels {params.labels} --out {output.scores} --out-summary {output.summary} > {log} 2>&1"
