# The generic SR model of a backbone (per scale), trained on photographs that are not in the
# video (skimage.data photographs, or DIV2K), or imported from an existing checkpoint. f0, the
# model that scores patches, is the generic model of pretrain.backbone; with train.init:
# generic every overfitted model starts from the generic model of its own backbone.
rule pretrain:
    input:
        images=PLAN.pretrain_images(),
    output:
        model=paths.PRETRAINED,
        log_csv=paths.PRETRAIN_LOG,
    log:
        f"{paths.LOGS}/pretrain/{{backbone}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    threads: torch_threads()
    resources:
        gpu=GPUS,
    params:
        images=lambda w, input: PLAN.pretrain_image_args(input.images),
        exclude=",".join(PLAN.demo_photos()),
        patch=config["pretrain"]["patch"],
        steps=config["pretrain"]["steps"],
        kwargs=lambda w: json_arg(PLAN.generic_kwargs(w.backbone)),
        settings=train_settings(config["pretrain"]["lr"], config["pretrain"]["batch_size"]),
        device=config["device"],
    shell:
        "python -m stdo pretrain {params.images} --exclude '{params.exclude}' "
        "--patch {params.patch} --steps {params.steps} --backbone {wildcards.backbone} "
        "--backbone-kwargs {params.kwargs} --scale {wildcards.scale} --settings {params.settings} "
        "--device {params.device} --threads {threads} --out-model {output.model} "
        "--out-log {output.log_csv} > {log} 2>&1"


# An existing f0 checkpoint (pretrain.checkpoints: an stdo model file, or e.g. the STDO
# authors' WDSR) converted into an stdo model file, with its provenance.
rule import_f0:
    input:
        checkpoint=lambda w: config["pretrain"]["checkpoints"][f"x{w.scale}"],
    output:
        model=paths.IMPORTED_F0,
    log:
        f"{paths.LOGS}/pretrain/imported_{{backbone}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        kwargs=json_arg(config["pretrain"].get("kwargs", {})),
    shell:
        "python -m stdo checkpoints --checkpoint {input.checkpoint:q} --backbone {wildcards.backbone} "
        "--scale {wildcards.scale} --backbone-kwargs {params.kwargs} --out {output.model} > {log} 2>&1"
