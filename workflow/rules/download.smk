# Datasets fetched from downloads.<dataset> (http mirror, Google Drive or a local copy): each
# item lands whole in data/<dataset>/<item> or not at all (stdo.video.download).
rule download_vsd4k:
    output:
        clip=directory(paths.VSD4K_CLIP),
    log:
        f"{paths.LOGS}/download/vsd4k_{{clip}}.log",
    conda:
        "../../envs/video.yaml"
    params:
        source=lambda w: PLAN.download_source_arg("vsd4k"),
        archives=paths.VSD4K_ARCHIVES,
    shell:
        "python -m stdo download --source {params.source} --item {wildcards.clip} "
        "--marker DIV2K_train_HR --archives {params.archives} --out {output.clip} > {log} 2>&1"


rule download_div2k:
    output:
        images=directory(paths.DIV2K_ITEM),
    log:
        f"{paths.LOGS}/download/div2k_{{item}}.log",
    conda:
        "../../envs/video.yaml"
    params:
        source=lambda w: PLAN.download_source_arg("div2k"),
        archives=paths.DIV2K_ARCHIVES,
    shell:
        "python -m stdo download --source {params.source} --item {wildcards.item} "
        "--archives {params.archives} --out {output.images} > {log} 2>&1"
