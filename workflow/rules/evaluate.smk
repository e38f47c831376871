# Super-resolve the whole video with a method's models; PSNR and the per-patch PSNR map.
rule evaluate:
    input:
        patches=lambda w: patch_files(eval_video(w.video), w.scale),
        models=method_models,
        partition=method_partition,
    output:
        metrics=METRICS,
        psnr_map=f"{EVAL}/psnr_map.npy",
    params:
        patches=lambda w, input: os.path.dirname(input.patches[0]),
        partition=lambda w, input: f"--partition {input.partition[0]}" if input.partition else "",
        labels=lambda w: labels(w, backbone=w.backbone, evaluated_on=eval_video(w.video), seed=seed_of(w)),
        batch_size=config["evaluate"]["batch_size"],
        cafm=lambda w: "--cafm-protocol" if eval_video(w.video) != w.video else "",  # held-out frames
        device=config["device"],
    threads: torch_threads()
    resources:
        gpu=GPUS,
    log:
        f"{LOGS}/evaluate/{{video}}_x{{scale}}_{{backbone}}_{{method}}" + SEED_LOG + ".log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.evaluate --patches {params.patches} --method {wildcards.method} "
        "--models {input.models} {params.partition} --labels {params.labels} "
        "--batch-size {params.batch_size} {params.cafm} --device {params.device} --threads {threads} "
        "--out-metrics {output.metrics} --out-map {output.psnr_map} > {log} 2>&1"
