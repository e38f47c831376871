# Super-resolve the whole video with a method's models; PSNR and the per-patch PSNR map.
# jobs.evaluate: method: one job per method; cell: one per video, scale, backbone and seed.
if PLAN.job_grouping()["evaluate"] == "method":

    rule evaluate:
        input:
            patches=of_eval_video(rules.patches.output),
            models=method_models,
            partition=method_partition,
        output:
            metrics=METRICS,
            psnr_map=PSNR_MAP,
        log:
            f"{paths.LOGS}/evaluate/{{video}}_x{{scale}}_{{backbone}}_{{method}}{SEED_LOG}.log",
        conda:
            "../../envs/torch.yaml"
        threads: torch_threads()
        resources:
            gpu=GPUS,
        params:
            patches=patch_dir,
            partition=input_flag("--partition", "partition"),
            labels=lambda w: labels(
                w,
                backbone=w.backbone,
                evaluated_on=eval_video(w.video),
                seed=seed_of(w),
                **PLAN.budget_labels(budget_of(w)),
            ),
            batch_size=config["evaluate"]["batch_size"],
            cafm=lambda w: PLAN.cafm_protocol_arg(w.video),  # held-out frames
            device=config["device"],
        shell:
            "python -m stdo evaluate --patches {params.patches} --method {wildcards.method} "
            "--models {input.models} {params.partition} --labels {params.labels} "
            "--batch-size {params.batch_size} {params.cafm} --device {params.device} --threads {threads} "
            "--out-metrics {output.metrics} --out-map {output.psnr_map} > {log} 2>&1"

else:  # jobs.evaluate: cell: every method of a video, scale, backbone and seed in one job
    for (_v, _s, _b), _e, _seed in itertools.product(PLAN.cells(), BUDGETS, SEEDS):
        _methods = PLAN.cell_methods(_v, _s, _b, _seed, _e)
        if not _methods:
            continue
        _batch = PLAN.cell_eval_batch(_v, _s, _b, _seed, _methods, _e)

        rule:
            name:
                f"evaluate_cell_{PLAN.cell_job_name(_v, _s, _b, _seed, _e)}"
            input:
                patches=expand(rules.patches.output, video=eval_video(_v), scale=_s),
                models=sorted({m for job in _batch for m in job["models"]}),
                partitions=sorted({job["partition"] for job in _batch if job["partition"]}),
            output:
                metrics=[job["out_metrics"] for job in _batch],
                psnr_map=[job["out_map"] for job in _batch],
            log:
                f"{paths.LOGS}/evaluate/{PLAN.cell_job_name(_v, _s, _b, _seed, _e)}.log",
            conda:
                "../../envs/torch.yaml"
            threads: torch_threads()
            resources:
                gpu=GPUS,
            params:
                patches=patch_dir,
                batch=json_arg(_batch),
                labels=json_arg(
                    PLAN.labels(
                        _v,
                        _s,
                        backbone=_b,
                        evaluated_on=eval_video(_v),
                        seed=_seed,
                        **PLAN.budget_labels(_e),
                    )
                ),
                batch_size=config["evaluate"]["batch_size"],
                cafm=PLAN.cafm_protocol_arg(_v),  # held-out frames
                device=config["device"],
            shell:
                "python -m stdo evaluate --patches {params.patches} --batch {params.batch} "
                "--labels {params.labels} --batch-size {params.batch_size} {params.cafm} "
                "--device {params.device} --threads {threads} > {log} 2>&1"
