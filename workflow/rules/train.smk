# One model per training unit (awDNN: all patches; NAS: a time segment; CaFM: all, with
# per-segment modulation; STDO: a PSNR chunk; JSTDO: the joint set). See stdo.methods.
# STDO's k chunk models are trained by one job per k (train_stdo_k<k>, below), one after another
# in one process: each is the model its own job would train (tested), and together they cost
# one awDNN model, so a job per chunk model would spend most of its time starting up.
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
        f"{LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_{{unit}}" + SEED_LOG + ".log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.train --patches {params.patches} --unit {wildcards.unit} "
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
            f"{LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_stdo-k{_k}" + SEED_LOG + ".log",
        conda:
            "../../envs/torch.yaml"
        shell:
            "python -m stdo.train --patches {params.patches} --unit {params.units} "
            "--epochs {params.epochs} --partition {input.partition} {params.init} "
            "--backbone {wildcards.backbone} --backbone-kwargs {params.kwargs} "
            "--scale {wildcards.scale} --settings {params.settings} --device {params.device} "
            "--threads {threads} --out-model {output.model} --out-log {output.log_csv} > {log} 2>&1"
