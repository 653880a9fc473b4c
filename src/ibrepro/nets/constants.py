"""Settings of the nets' functions that torch-free code shares: the CPU engine's numba kernels
(``kernels.mlp``) and sample propagation's numpy re-propagation read them here, so there is one
value. No torch here. numba freezes a global at compile time; its cache is keyed on the source
of the kernels and of the modules they import, this one included (``kernel_cache``), so an
edited value reaches every kernel.
"""

# Leaky ReLU's slope for x < 0: Maas, Hannun & Ng 2013's 0.01 (PyTorch's default; Keras' is
# 0.3, tf.nn.leaky_relu's 0.2). Chelombiev et al. 2019 give none: their summary names no slope
# and their code has no leaky ReLU, only a PReLU whose learned slope starts at 0
# (ivansche/adaptive_estimators idnns/networks/model.py:23-28, `prelu`, which returns nothing).
LEAKY_RELU_SLOPE = 0.01
