# The embedded demo video, rendered from photographs shipped in scikit-image.
if "demo_video" in config:

    rule demo_video:
        output:
            video=config["demo_video"]["path"],
        log:
            f"{paths.LOGS}/demo_video.log",
        conda:
            "../../envs/video.yaml"
        params:
            width=config["demo_video"]["width"],
            height=config["demo_video"]["height"],
            fps=config["demo_video"]["fps"],
            seconds=config["demo_video"]["seconds"],
            crf=config["demo_video"].get("crf", 12),
            scenes=flag(
                "--scenes", config["demo_video"].get("scenes") and json_arg(config["demo_video"]["scenes"])
            ),
        shell:
            "python -m stdo demo --out {output.video} --width {params.width} "
            "--height {params.height} --fps {params.fps} --seconds {params.seconds} "
            "--crf {params.crf} {params.scenes} > {log} 2>&1"
