"""numba kernels for the CPU: float32 elementary functions that vectorise, counter-based
random numbers, and the MLP training engine (a share of the repetitions per thread). No
torch here."""
