# Every trained model of a video, scale and backbone to TFLite (float32, float16) with
# litert-torch, each file checked against PyTorch on real LR frames (stdo.device.export).
rule export:
    input:
        patches=lambda w: patch_files(eval_video(w.video), w.scale),
        models=cell_models,
    output:
        manifest=EXPORT_MANIFEST,
        tflite=directory(EXPORT_FILES),
    params:
        patches=lambda w, input: os.path.dirname(input.patches[0]),
        dtypes=",".join(config["export"]["dtypes"]),
        parity=json_arg(config["export"]["parity"]),
        frames=config["export"]["parity_frames"],
    threads: 1
    priority: 10  # as soon as a cell's models exist, beside the other cells' training
    log:
        f"{LOGS}/export/{{video}}_x{{scale}}_{{backbone}}.log",
    conda:
        "../../envs/export.yaml"
    shell:
        "python -m stdo device.export --patches {params.patches} --models {input.models} "
        "--dtypes {params.dtypes} --parity {params.parity} --frames {params.frames} "
        "--out-dir {output.tflite} --out-manifest {output.manifest} > {log} 2>&1"
