# Device benchmarks of the exported models (stdo.device.bench on this machine's CPU with the
# LiteRT interpreter; stdo.device.adb on an Android phone when bench.adb is configured), and the
# paper's Figure 5: fps against PSNR, the real-time region shaded (stdo.device.report).
rule bench_host:
    input:
        manifest=EXPORT_MANIFEST,
        tflite=EXPORT_FILES,
        models=cell_models,
        patches=lambda w: patch_files(eval_video(w.video), w.scale),
        partitions=cell_partitions,
    output:
        json=BENCH_HOST,
        task=directory(BENCH_TASK),
    params:
        patches=lambda w, input: os.path.dirname(input.patches[0]),
        methods=lambda w: ",".join(method_ids(w.video, w.backbone)),
        labels=lambda w: json_arg({"video": w.video, "scale": int(w.scale), "backbone": w.backbone}),
        threads=config["bench"]["threads"],
        warmup=config["bench"]["warmup"],
        runs=config["bench"]["runs"],
    # every core Snakemake was given (threads are capped at --cores): nothing else, another
    # benchmark included, runs beside the timing; LiteRT itself uses bench.threads (params)
    threads: 256
    log:
        f"{LOGS}/bench/{{video}}_x{{scale}}_{{backbone}}_host.log",
    conda:
        "../../envs/export.yaml"
    shell:
        "python -m stdo device.bench --manifest {input.manifest} --models {input.models} "
        "--patches {params.patches} --methods {params.methods} --partitions {input.partitions} "
        "--labels {params.labels} --threads {params.threads} --warmup {params.warmup} "
        "--runs {params.runs} --out {output.json} --task-dir {output.task} > {log} 2>&1"


rule bench_adb:
    input:
        task=BENCH_TASK,
        binary=lambda w: config["bench"]["adb"]["binary"],
    output:
        json=BENCH_ADB,
        log=f"{BENCH_DIR}/adb.log",
    params:
        adb=json_arg(config["bench"].get("adb", {})),
        methods=lambda w: ",".join(method_ids(w.video, w.backbone)),
        labels=lambda w: json_arg({"video": w.video, "scale": int(w.scale), "backbone": w.backbone}),
    log:
        f"{LOGS}/bench/{{video}}_x{{scale}}_{{backbone}}_adb.log",
    conda:
        "../../envs/export.yaml"
    shell:
        "python -m stdo device.adb_bench --task-dir {input.task} --binary {input.binary} "
        "--config {params.adb} --methods {params.methods} --labels {params.labels} "
        "--out {output.json} --log {output.log} > {log} 2>&1"


rule bench_report:
    input:
        bench=bench_files(),
        metrics=metrics_files(),
    output:
        csv=f"{BENCH_TABLE}.csv",
        md=f"{BENCH_TABLE}.md",
        png=report(FIGURE5_PNG, caption="../report/figure5.rst", category="Figures"),
        pdf=FIGURE5_PDF,
        data=FIGURE5_DATA,
    log:
        f"{LOGS}/bench/report.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo device.report --bench {input.bench} --metrics {input.metrics} "
        "--out-csv {output.csv} --out-md {output.md} --out-png {output.png} --out-pdf {output.pdf} "
        "--out-data {output.data} > {log} 2>&1"


rule bench:
    input:
        rules.bench_report.output,
