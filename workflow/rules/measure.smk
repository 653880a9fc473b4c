rule measure:
    """One configured measure (not an MI estimate) of one experiment's activations, e.g.
    Goldfeld's clustering measures; its variables are listed in README.md."""
    input:
        activations=f"{RESULTS}/runs/{{experiment}}/activations.nc",
    output:
        f"{RESULTS}/measures/{{experiment}}/{{measure}}.nc",
    params:
        spec=measure_spec,
        fingerprint=measure_fingerprint,
        run=run_fingerprint,
        device=SPEC.device,
    log:
        f"{RESULTS}/logs/measure/{{experiment}}/{{measure}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/measure/{{experiment}}/{{measure}}.tsv"
    threads: JOB_THREADS
    priority: READER_PRIORITY
    resources:
        mem_mb=4000,
        gpu=ESTIMATE_GPUS,  # on CUDA; 0 with device cpu
    conda:
        ENV
    shell:
        "python -m ibrepro measure {params.spec:q} --activations {input.activations}"
        " --out {output} --device {params.device} --threads {threads} > {log} 2>&1"
