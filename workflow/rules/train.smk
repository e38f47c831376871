# One model per training unit (awDNN: all patches; NAS: a time segment; CaFM: all, with
# per-segment modulation; STDO: a PSNR chunk; JSTDO: the joint set). See stdo.methods.
# STDO's k chunk models are trained by one job per k (train_stdo_k<k>, below), one after another
# in one process: each is the model its own job would train (tested), and together they cost
# one awDNN model, so a job per chunk model would spend most of its time starting up.
# With jobs.train: cell, one job per video, scale, backbone and seed trains all of its units one
# after another (the rules at the end), each the model its own job would train (tested).
if PLAN.job_grouping()["train"] == "unit":

    rule train:
        input:
            patches=patch_files(),
            partition=unit_inputs,
            init=unit_init,
        output:
            model=f"{UNIT}/model.pt",
            log_csv=f"{UNIT}/log.csv",
        params:
            patches=lambda w, input: os.path.dirname(input.patches[0]),
            partition=lambda w, input: f"--partition {input.partition[0]}" if input.partition else "",
            proportions=unit_proportions,
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            epochs=lambda w: BACKBONES[w.backbone]["epochs"],
            kwargs=lambda w: json_arg(BACKBONES[w.backbone].get("kwargs", {})),
            settings=lambda w: train_settings(BACKBONES[w.backbone]["lr"], seed=seed_of(w)),
            cafm=lambda w: f"--cafm {json_arg(PLAN.cafm_settings())}" if w.unit.startswith("cafm-") else "",
            device=config["device"],
        wildcard_constraints:
            unit=r"(?!stdo-k\d+-c\d+/)[a-z0-9-]+",  # not STDO's chunk models (the rules below)
        threads: torch_threads()
        resources:
            gpu=GPUS,
        log:
            f"{LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_{{unit}}{SEED_LOG}.log",
        conda:
            "../../envs/torch.yaml"
        shell:
            "python -m stdo train --patches {params.patches} --unit {wildcards.unit} "
            "--epochs {params.epochs} {params.partition} {params.proportions} {params.init} {params.cafm} "
            "--backbone {wildcards.backbone} --backbone-kwargs {params.kwargs} "
            "--scale {wildcards.scale} --settings {params.settings} --device {params.device} "
            "--threads {threads} --out-model {output.model} --out-log {output.log_csv} > {log} 2>&1"


    for _k in PLAN.chunk_unit_ks():

        rule:
            name:
                f"train_stdo_k{_k}"
            input:
                patches=patch_files(),
                partition=PARTITION.replace("{k}", str(_k)),
                init=unit_init,
            output:
                model=[f"{UNIT}/model.pt".replace("{unit}", u) for u in chunk_units(_k)],
                log_csv=[f"{UNIT}/log.csv".replace("{unit}", u) for u in chunk_units(_k)],
            params:
                units=" ".join(chunk_units(_k)),
                patches=lambda w, input: os.path.dirname(input.patches[0]),
                init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
                epochs=lambda w: BACKBONES[w.backbone]["epochs"],
                kwargs=lambda w: json_arg(BACKBONES[w.backbone].get("kwargs", {})),
                settings=lambda w: train_settings(BACKBONES[w.backbone]["lr"], seed=seed_of(w)),
                device=config["device"],
            threads: torch_threads()
            resources:
                gpu=GPUS,
            log:
                f"{LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_stdo-k{_k}{SEED_LOG}.log",
            conda:
                "../../envs/torch.yaml"
            shell:
                "python -m stdo train --patches {params.patches} --unit {params.units} "
                "--epochs {params.epochs} --partition {input.partition} {params.init} "
                "--backbone {wildcards.backbone} --backbone-kwargs {params.kwargs} "
                "--scale {wildcards.scale} --settings {params.settings} --device {params.device} "
                "--threads {threads} --out-model {output.model} --out-log {output.log_csv} > {log} 2>&1"

else:  # jobs.train: cell
    for _v, _s, _b in PLAN.cells():
        for _seed in SEEDS:
            _units = PLAN.cell_train_units(_v, _s, _b, _seed)
            if not _units:
                continue
            _partitions, _train_args = cell_train_inputs(_v, _s, _units)

            rule:
                name:
                    f"train_cell_{cell_job_name(_v, _s, _b, _seed)}"
                input:
                    patches=patch_files(_v, _s),
                    partitions=_partitions,
                    init=unit_init(SimpleNamespace(video=_v, scale=str(_s), backbone=_b)),
                output:
                    model=[unit_file(_v, _s, _b, u, _seed) for u in _units],
                    log_csv=[unit_file(_v, _s, _b, u, _seed, "log.csv") for u in _units],
                params:
                    units=" ".join(_units),
                    patches=lambda w, input: os.path.dirname(input.patches[0]),
                    inputs=_train_args,
                    init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
                    cafm=f"--cafm {json_arg(PLAN.cafm_settings())}",
                    epochs=BACKBONES[_b]["epochs"],
                    backbone=_b,
                    scale=_s,
                    kwargs=json_arg(BACKBONES[_b].get("kwargs", {})),
                    settings=train_settings(BACKBONES[_b]["lr"], seed=_seed),
                    device=config["device"],
                threads: torch_threads()
                resources:
                    gpu=GPUS,
                log:
                    f"{LOGS}/train/{cell_job_name(_v, _s, _b, _seed)}.log",
                conda:
                    "../../envs/torch.yaml"
                shell:
                    "python -m stdo train --patches {params.patches} --unit {params.units} "
                    "--epochs {params.epochs} {params.inputs} {params.init} {params.cafm} "
                    "--backbone {params.backbone} --backbone-kwargs {params.kwargs} "
                    "--scale {params.scale} --settings {params.settings} --device {params.device} "
                    "--threads {threads} --out-model {output.model} --out-log {output.log_csv} > {log} 2>&1"
