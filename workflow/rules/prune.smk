rule prune:
    """rip §2.5's pruning loop from one big net: train, estimate, remove the layers whose IP
    trajectory repeats the previous layer's, retrain, until none does (one job, all rounds)."""
    input:
        dataset=experiment_dataset,
    output:
        f"{RESULTS}/pruning/{{experiment}}.nc",
    params:
        spec=pruning_spec,
        fingerprint=pruning_fingerprint,
        device=SPEC.device,
    log:
        f"{RESULTS}/logs/prune/{{experiment}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prune/{{experiment}}.tsv"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
        gpu=SPEC.train_gpus,
    conda:
        ENV
    shell:
        "python -m ibrepro prune {params.spec:q} --dataset {input.dataset} --out {output}"
        " --device {params.device} --threads {threads} > {log} 2>&1"
