"""Networks batched over repetitions."""
