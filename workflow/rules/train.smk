# One model per training unit (awDNN: all patches; NAS: a time segment; CaFM: all, with
# per-segment modulation; STDO: a PSNR chunk; JSTDO: the joint set). See stdo.methods.
# STDO's k chunk models are trained by one job per k (train_stdo_k<k>, below), one after another
# in one process: each is the model its own job would train (tested), and together they cost
# one awDNN model, so a job per chunk model would spend most of its time starting up.
# With jobs.train: cell, one job per video, scale, backbone and seed trains all of its units one
# after another (the rules at the end), each the model its own job would train (tested); with
# jobs.train: group, one job per video, scale and backbone trains every seed's, fusing on CUDA
# the units that share shape and steps (stdo.sr.fused). Every
# training job runs TRAIN_SHELL (common.smk); the rules differ in their units and inputs.
if PLAN.job_grouping()["train"] == "unit":

    rule train:
        input:
            patches=rules.patches.output,
            partition=lambda w: PLAN.unit_partition(w.video, w.scale, w.unit),
            init=unit_init,
        output:
            model=UNIT_MODEL,
            log_csv=UNIT_LOG,
        log:
            f"{paths.LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_{{unit}}{SEED_LOG}.log",
        wildcard_constraints:
            unit=PLAN.single_unit_constraint(),  # not STDO's chunk models (the rules below)
        conda:
            "../../envs/torch.yaml"
        threads: torch_threads()
        resources:
            gpu=GPUS,
        params:
            **train_params(lambda w: [w.unit]),
        shell:
            TRAIN_SHELL

    for _k in PLAN.chunk_unit_ks():
        _chunk_units = PLAN.chunk_units(_k)

        rule:
            name:
                f"train_stdo_k{_k}"
            input:
                patches=rules.patches.output,
                partition=expand(rules.partition.output.chunks, k=_k, allow_missing=True),
                init=unit_init,
            output:
                model=expand(UNIT_MODEL, unit=_chunk_units, allow_missing=True),
                log_csv=expand(UNIT_LOG, unit=_chunk_units, allow_missing=True),
            log:
                f"{paths.LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_stdo-k{_k}{SEED_LOG}.log",
            conda:
                "../../envs/torch.yaml"
            threads: torch_threads()
            resources:
                gpu=GPUS,
            params:
                **train_params(lambda w, units=_chunk_units: units),
            shell:
                TRAIN_SHELL

elif PLAN.job_grouping()["train"] == "group":
    for (_v, _s, _b), _e in itertools.product(PLAN.cells(), BUDGETS):
        _runs = PLAN.group_train_runs(_v, _s, _b, _e)
        if not _runs:
            continue
        _units = [u for u, _ in _runs]
        _partitions, _selection = PLAN.cell_train_inputs(_v, _s, _units)

        rule:
            name:
                f"train_group_{PLAN.cell_job_name(_v, _s, _b, None, _e)}"
            input:
                patches=expand(rules.patches.output, video=_v, scale=_s),
                partitions=_partitions,
                init=PLAN.unit_init(_b, _s),
            output:
                model=[PLAN.unit_file(_v, _s, _b, u, seed, budget=_e) for u, seed in _runs],
                log_csv=[PLAN.unit_file(_v, _s, _b, u, seed, paths.TRAIN_LOG, _e) for u, seed in _runs],
            log:
                f"{paths.LOGS}/train/group_{PLAN.cell_job_name(_v, _s, _b, None, _e)}.log",
            conda:
                "../../envs/torch.yaml"
            threads: torch_threads()
            resources:
                **(config.get("jobs") or {}).get("group_resources", {}),
                gpu=GPUS,
            params:
                units=" ".join(_units),
                patches=patch_dir,
                selection=_selection,
                init=input_flag("--init", "init"),
                cafm=PLAN.cafm_arg(),
                epochs=PLAN.epochs(_b, _e),
                backbone=_b,
                kwargs=json_arg(BACKBONES[_b].get("kwargs", {})),
                scale=_s,
                settings=train_settings(BACKBONES[_b]["lr"]),
                device=config["device"],
                seeds="--seed " + " ".join(str(seed) for _, seed in _runs) + " ",
            shell:
                TRAIN_SHELL

else:  # jobs.train: cell
    for (_v, _s, _b), _e, _seed in itertools.product(PLAN.cells(), BUDGETS, SEEDS):
        _units = PLAN.cell_train_units(_v, _s, _b, _seed, _e)
        if not _units:
            continue
        _partitions, _selection = PLAN.cell_train_inputs(_v, _s, _units)

        rule:
            name:
                f"train_cell_{PLAN.cell_job_name(_v, _s, _b, _seed, _e)}"
            input:
                patches=expand(rules.patches.output, video=_v, scale=_s),
                partitions=_partitions,
                init=PLAN.unit_init(_b, _s),
            output:
                model=[PLAN.unit_file(_v, _s, _b, u, _seed, budget=_e) for u in _units],
                log_csv=[PLAN.unit_file(_v, _s, _b, u, _seed, paths.TRAIN_LOG, _e) for u in _units],
            log:
                f"{paths.LOGS}/train/{PLAN.cell_job_name(_v, _s, _b, _seed, _e)}.log",
            conda:
                "../../envs/torch.yaml"
            threads: torch_threads()
            resources:
                gpu=GPUS,
            params:
                units=" ".join(_units),
                patches=patch_dir,
                selection=_selection,
                init=input_flag("--init", "init"),
                cafm=PLAN.cafm_arg(),
                epochs=PLAN.epochs(_b, _e),
                backbone=_b,
                kwargs=json_arg(BACKBONES[_b].get("kwargs", {})),
                scale=_s,
                settings=train_settings(BACKBONES[_b]["lr"], seed=_seed),
                device=config["device"],
                seeds="",
            shell:
                TRAIN_SHELL
