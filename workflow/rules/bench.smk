# Device benchmarks of the exported models (stdo.device.bench on this machine's CPU with the
# LiteRT interpreter; stdo.device.adb on an Android phone when bench.adb is configured), and the
# paper's Figure 5: fps against PSNR, the real-time region shaded (stdo.device.report).
rule bench_host:
    input:
        manifest=rules.export.output.manifest,
        tflite=rules.export.output.tflite,
        models=cell_models,
        patches=of_eval_video(rules.patches.output),
        partitions=cell_partitions,
    output:
        json=paths.BENCH_HOST,
        task=directory(paths.BENCH_TASK),
    log:
        f"{paths.LOGS}/bench/{{video}}_x{{scale}}_{{backbone}}_host.log",
    conda:
        "../../envs/export.yaml"
    # every core Snakemake was given (threads are capped at --cores): nothing else, another
    # benchmark included, runs beside the timing; LiteRT itself uses bench.threads (params)
    threads: 256
    params:
        patches=patch_dir,
        methods=cell_methods_arg,
        labels=cell_labels,
        threads=config["bench"]["threads"],
        warmup=config["bench"]["warmup"],
        runs=config["bench"]["runs"],
    shell:
        "python -m stdo device.bench --manifest {input.manifest} --models {input.models} "
        "--patches {params.patches} --methods {params.methods} --partitions {input.partitions} "
        "--labels {params.labels} --threads {params.threads} --warmup {params.warmup} "
        "--runs {params.runs} --out {output.json} --task-dir {output.task} > {log} 2>&1"


rule bench_adb:
    input:
        task=rules.bench_host.output.task,
        binary=lambda w: config["bench"]["adb"]["binary"],
    output:
        json=paths.BENCH_ADB,
        log=paths.BENCH_ADB_LOG,
    log:
        f"{paths.LOGS}/bench/{{video}}_x{{scale}}_{{backbone}}_adb.log",
    conda:
        "../../envs/export.yaml"
    params:
        adb=json_arg(config["bench"].get("adb", {})),
        methods=cell_methods_arg,
        labels=cell_labels,
    shell:
        "python -m stdo device.adb_bench --task-dir {input.task} --binary {input.binary} "
        "--config {params.adb} --methods {params.methods} --labels {params.labels} "
        "--out {output.json} --log {output.log} > {log} 2>&1"


rule bench_report:
    input:
        bench=PLAN.bench_files(),
        metrics=PLAN.metrics_files(),
    output:
        csv=f"{paths.BENCH_TABLE}.csv",
        md=f"{paths.BENCH_TABLE}.md",
        png=report(f"{paths.FIGURE}.png".format(n=5), caption="../report/figure5.rst", category="Figures"),
        pdf=f"{paths.FIGURE}.pdf".format(n=5),
        data=f"{paths.FIGURE}.csv".format(n=5),
    log:
        f"{paths.LOGS}/bench/report.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo device.report --bench {input.bench} --metrics {input.metrics} "
        "--out-csv {output.csv} --out-md {output.md} --out-png {output.png} --out-pdf {output.pdf} "
        "--out-data {output.data} > {log} 2>&1"


rule bench:
    input:
        rules.bench_report.output,
