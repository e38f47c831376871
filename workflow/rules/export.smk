# Every trained model of a video, scale and backbone to TFLite (float32, float16) with
# litert-torch, each file checked against PyTorch on real LR frames (stdo.device.export).
rule export:
    input:
        patches=of_eval_video(rules.patches.output),
        models=cell_models,
    output:
        manifest=paths.EXPORT_MANIFEST,
        tflite=directory(paths.EXPORT_FILES),
    log:
        f"{paths.LOGS}/export/{{video}}_x{{scale}}_{{backbone}}.log",
    priority: 10  # as soon as a cell's models exist, beside the other cells' training
    conda:
        "../../envs/export.yaml"
    threads: 1
    params:
        patches=patch_dir,
        dtypes=",".join(config["export"]["dtypes"]),
        parity=json_arg(config["export"]["parity"]),
        frames=config["export"]["parity_frames"],
    shell:
        "python -m stdo device.export --patches {params.patches} --models {input.models} "
        "--dtypes {params.dtypes} --parity {params.parity} --frames {params.frames} "
        "--out-dir {output.tflite} --out-manifest {output.manifest} > {log} 2>&1"
