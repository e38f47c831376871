# The generic SR model f0 (per scale), trained on photographs that are not in the video.
rule pretrain:
    output:
        model="results/pretrain/{backbone}/x{scale}/model.pt",
        log_csv="results/pretrain/{backbone}/x{scale}/log.csv",
    params:
        images=",".join(config["pretrain"]["images"]),
        exclude=lambda w: ",".join(demo_photos()),
        patch=config["pretrain"]["patch"],
        steps=config["pretrain"]["steps"],
        kwargs=json_arg(config["pretrain"].get("kwargs", {})),
        settings=train_settings(config["pretrain"]["lr"], config["pretrain"]["batch_size"]),
        device=config["device"],
    threads: torch_threads()
    log:
        f"{LOGS}/pretrain/{{backbone}}_x{{scale}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.pretrain --images {params.images} --exclude '{params.exclude}' "
        "--patch {params.patch} --steps {params.steps} --backbone {wildcards.backbone} "
        "--backbone-kwargs {params.kwargs} --scale {wildcards.scale} --settings {params.settings} "
        "--device {params.device} --threads {threads} --out-model {output.model} "
        "--out-log {output.log_csv} > {log} 2>&1"
