rule estimate:
    """I(X;T) and I(T;Y) of one experiment under one configured estimator (only for the pairs
    where the estimator applies: ibrepro.estimators.skip_reason)."""
    input:
        unpack(estimator_inputs),
    output:
        f"{RESULTS}/mi/{{experiment}}/{{estimator}}.nc",
    params:
        spec=estimator_spec,
        fingerprint=estimator_fingerprint,
        run=run_fingerprint,
        device=SPEC.device,
        options=estimator_options,
    log:
        f"{RESULTS}/logs/estimate/{{experiment}}/{{estimator}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/estimate/{{experiment}}/{{estimator}}.tsv"
    threads: JOB_THREADS
    priority: READER_PRIORITY
    resources:
        # each of the job's processes holds one block of one repetition (apply.BLOCK_BYTES,
        # 256 MiB of float32) and its temporaries, whatever the file's size
        mem_mb=lambda wildcards, threads: 1000 + 1000 * threads,
        gpu=ESTIMATE_GPUS,  # on CUDA; 0 with device cpu
    conda:
        ENV
    shell:
        "python -m ibrepro estimate {params.spec:q} --activations {input.activations}"
        " {params.options} --out {output} --device {params.device} --threads {threads} > {log} 2>&1"
