rule train:
    """All repetitions of one experiment, trained as one batched network (GPU when present).
    The log holds the progress bar (epochs, ETA). weights.nc (every layer's parameters at the
    snapshot epochs, 16 MB for 50 SZT nets) is written by every run. activations.nc is deleted
    once read where config.keep_activations says so (paper scale)."""
    input:
        dataset=experiment_dataset,
    output:
        activations=keep_or_temp(f"{RESULTS}/runs/{{experiment}}/activations.nc"),
        metrics=f"{RESULTS}/runs/{{experiment}}/metrics.nc",
        weights=f"{RESULTS}/runs/{{experiment}}/weights.nc",
    params:
        spec=experiment_spec,
        device=SPEC.device,
    log:
        f"{RESULTS}/logs/train/{{experiment}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{experiment}}.tsv"
    threads: JOB_THREADS
    resources:
        mem_mb=16000,
        gpu=SPEC.train_gpus,  # SLURM: --gpus; workstation: --resources gpu=1 serialises them
    conda:
        ENV
    shell:
        "python -m ibrepro train {params.spec:q} --dataset {input.dataset}"
        " --activations {output.activations} --metrics {output.metrics}"
        " --weights {output.weights}"
        " --device {params.device} --threads {threads} > {log} 2>&1"
