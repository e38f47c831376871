# Super-resolve the whole video with a method's models; PSNR and the per-patch PSNR map.
# jobs.evaluate: method: one job per method; cell: one per video, scale, backbone and seed.
if PLAN.job_grouping()["evaluate"] == "method":

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
            f"{LOGS}/evaluate/{{video}}_x{{scale}}_{{backbone}}_{{method}}{SEED_LOG}.log",
        conda:
            "../../envs/torch.yaml"
        shell:
            "python -m stdo evaluate --patches {params.patches} --method {wildcards.method} "
            "--models {input.models} {params.partition} --labels {params.labels} "
            "--batch-size {params.batch_size} {params.cafm} --device {params.device} --threads {threads} "
            "--out-metrics {output.metrics} --out-map {output.psnr_map} > {log} 2>&1"

else:  # jobs.evaluate: cell: every method of a video, scale, backbone and seed in one job
    for _v, _s, _b in PLAN.cells():
        for _seed in SEEDS:
            _methods = PLAN.cell_methods(_v, _s, _b, _seed)
            if not _methods:
                continue
            _batch = cell_eval_batch(_v, _s, _b, _seed, _methods)

            rule:
                name:
                    f"evaluate_cell_{cell_job_name(_v, _s, _b, _seed)}"
                input:
                    patches=patch_files(eval_video(_v), _s),
                    models=sorted({m for job in _batch for m in job["models"]}),
                    partitions=sorted({job["partition"] for job in _batch if job["partition"]}),
                output:
                    metrics=[job["out_metrics"] for job in _batch],
                    psnr_map=[job["out_map"] for job in _batch],
                params:
                    patches=lambda w, input: os.path.dirname(input.patches[0]),
                    batch=json_arg(_batch),
                    labels=labels(
                        SimpleNamespace(video=_v, scale=_s),
                        backbone=_b,
                        evaluated_on=eval_video(_v),
                        seed=_seed,
                    ),
                    batch_size=config["evaluate"]["batch_size"],
                    cafm="--cafm-protocol" if eval_video(_v) != _v else "",  # held-out frames
                    device=config["device"],
                threads: torch_threads()
                resources:
                    gpu=GPUS,
                log:
                    f"{LOGS}/evaluate/{cell_job_name(_v, _s, _b, _seed)}.log",
                conda:
                    "../../envs/torch.yaml"
                shell:
                    "python -m stdo evaluate --patches {params.patches} --batch {params.batch} "
                    "--labels {params.labels} --batch-size {params.batch_size} {params.cafm} "
                    "--device {params.device} --threads {threads} > {log} 2>&1"
