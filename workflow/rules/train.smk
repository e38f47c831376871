# One overfitting model per training unit (awDNN: all patches; STDO: one PSNR chunk).
rule train:
    input:
        patches=patch_files(),
        meta=f"{VIDEO}/meta.json",
        partition=unit_inputs,
    output:
        model=f"{SCALED}/{{backbone}}/units/{{unit}}/model.pt",
        log_csv=f"{SCALED}/{{backbone}}/units/{{unit}}/log.csv",
    params:
        patches=lambda w, input: os.path.dirname(input.patches[0]),
        partition=lambda w, input: f"--partition {input.partition[0]}" if input.partition else "",
        epochs=lambda w: BACKBONES[w.backbone]["epochs"],
        kwargs=lambda w: json_arg(BACKBONES[w.backbone].get("kwargs", {})),
        settings=lambda w: train_settings(BACKBONES[w.backbone]["lr"]),
        device=config["device"],
    threads: torch_threads()
    log:
        f"{LOGS}/train/{{video}}_x{{scale}}_{{backbone}}_{{unit}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.train --patches {params.patches} --unit {wildcards.unit} "
        "--epochs {params.epochs} {params.partition} --meta {input.meta} "
        "--backbone {wildcards.backbone} --backbone-kwargs {params.kwargs} "
        "--scale {wildcards.scale} --settings {params.settings} --device {params.device} "
        "--threads {threads} --out-model {output.model} --out-log {output.log_csv} > {log} 2>&1"
