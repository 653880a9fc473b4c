rule dataset:
    """One dataset: x(sample, feature), y(sample), split(sample), with checksums."""
    output:
        f"{RESULTS}/data/{{dataset}}.nc",
    params:
        spec=dataset_spec,
    log:
        f"{RESULTS}/logs/data/{{dataset}}.log",
    conda:
        ENV
    shell:
        "python -m ibrepro data {params.spec:q} --out {output} > {log} 2>&1"
