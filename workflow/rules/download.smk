# Datasets fetched from downloads.<dataset> (http mirror, Google Drive or a local copy): each
# item lands whole in data/<dataset>/<item> or not at all (stdo.video.download).
rule download_vsd4k:
    output:
        clip=directory("data/vsd4k/{clip}"),
    params:
        source=lambda w: download_source("vsd4k"),
    log:
        f"{LOGS}/download/vsd4k_{{clip}}.log",
    conda:
        "../../envs/video.yaml"
    shell:
        "python -m stdo download --source {params.source} --item {wildcards.clip} "
        "--marker DIV2K_train_HR --archives data/vsd4k/.archives --out {output.clip} > {log} 2>&1"


rule download_div2k:
    output:
        images=directory("data/div2k/{item}"),
    params:
        source=lambda w: download_source("div2k"),
    log:
        f"{LOGS}/download/div2k_{{item}}.log",
    conda:
        "../../envs/video.yaml"
    shell:
        "python -m stdo download --source {params.source} --item {wildcards.item} "
        "--archives data/div2k/.archives --out {output.images} > {log} 2>&1"
