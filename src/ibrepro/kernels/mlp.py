"""The CPU training engine's kernels: R fully connected nets, a share of them per thread.

Each repetition's epoch (its mini-batch steps, then the evaluation on all samples) runs as
compiled loops over its own small matrices, which stay in the core's cache: the batched
``torch.bmm`` of 12x10 or 10x7 matrices reached 4-10 GFLOP/s here, and every torch op pays
microseconds of dispatch. Activations are laid out ``(unit, sample)`` so every inner loop runs
over contiguous samples and vectorises; the transcendental functions are
``kernels.elementary``'s. A repetition's numbers depend only on its own seed and data, not on
the thread count or its position among the repetitions.

The math is ``train.loop``'s (tested against it, the autograd engine, in
tests/test_engine_parity.py): cross-entropy per repetition averaged over the batch; SGD or
Adam (torch's update order); coupled weight decay on the weights; hidden noise and dropout from
``kernels.counter_rng``; k-bit quantizers with straight-through gradients; weight normalisation;
Parseval retraction; Welford moments of the weight gradients.

Parameters of repetition r are one flat float32 row ``params[r]``: per layer l its weights
``(fan_in, fan_out)`` row-major at ``woff[l]``, its biases at ``boff[l]``, and under weight
normalisation its gains at ``goff[l]`` (the weights are then the directions v).
"""

from __future__ import annotations

import numpy as np

from ibrepro.kernel_cache import njit
from ibrepro.kernels import counter_rng as rng
from ibrepro.kernels.elementary import FASTMATH, exp, log, log1p, sigmoid, tanh
from ibrepro.nets.constants import LEAKY_RELU_SLOPE

F32 = np.float32
ZERO, ONE = F32(0.0), F32(1.0)
LN2 = F32(np.log(2.0))
LEAKY_SLOPE = F32(LEAKY_RELU_SLOPE)
PROBABILITY_FLOOR = F32(1e-7)  # nets.mlp.PROBABILITY_FLOOR
EMA_DECAY = F32(0.999)  # nets.quantize.EMA_DECAY
NOISE, DROPOUT = 1, 2  # nets.counter_rng purposes
EVALUATION = 0xFFFFFFFF  # nets.counter_rng.EVALUATION

# hidden activation codes (ACTIVATIONS in train/engine_cpu.py maps the config names)
LINEAR, TANH, RELU, SIGMOID, SOFTPLUS, CENTRED_SOFTPLUS, ELU, LEAKY_RELU, SWISH = range(9)
SGD, ADAM = 0, 1
BATCH_RANGE, MOVING_RANGE = 0, 1  # nets.quantize range rules

# hp: float64 hyper-parameters, by index
HP_LR, HP_BETA1, HP_BETA2, HP_EPS, HP_NOISE, HP_DROPOUT, HP_PARSEVAL = range(7)
HP_SIZE = 7

JIT = dict(fastmath=FASTMATH, error_model="numpy", nogil=True, cache=True)


@njit(**JIT)
def _activate(code, out, der, n, derivative):
    """out[:n] = act(out[:n]) in place; with ``derivative``, der[:n] = act'(z)."""
    if code == TANH:
        for s in range(n):
            a = tanh(out[s])
            out[s] = a
            if derivative:
                der[s] = ONE - a * a
    elif code == RELU:
        for s in range(n):
            z = out[s]
            out[s] = max(z, ZERO)
            if derivative:
                der[s] = ONE if z > ZERO else ZERO
    elif code == SIGMOID:
        for s in range(n):
            a = sigmoid(out[s])
            out[s] = a
            if derivative:
                der[s] = a * (ONE - a)
    elif code == SOFTPLUS or code == CENTRED_SOFTPLUS:
        shift = LN2 if code == CENTRED_SOFTPLUS else ZERO
        for s in range(n):
            z = out[s]
            e = exp(-abs(z))  # softplus(z) = max(z, 0) + ln(1 + e^-|z|), sigmoid from e
            out[s] = max(z, ZERO) + log1p(e) - shift
            if derivative:
                der[s] = (ONE if z >= ZERO else e) / (ONE + e)
    elif code == ELU:
        for s in range(n):
            z = out[s]
            e = exp(min(z, ZERO)) - ONE
            out[s] = z if z > ZERO else e
            if derivative:
                der[s] = ONE if z > ZERO else e + ONE
    elif code == LEAKY_RELU:
        for s in range(n):
            z = out[s]
            out[s] = z if z > ZERO else LEAKY_SLOPE * z
            if derivative:
                der[s] = ONE if z > ZERO else LEAKY_SLOPE
    elif code == SWISH:
        for s in range(n):
            z = out[s]
            g = sigmoid(z)
            out[s] = z * g
            if derivative:
                der[s] = g + z * g * (ONE - g)
    elif derivative:  # linear
        for s in range(n):
            der[s] = ONE


@njit(**JIT)
def _dense(w, wo, bo, fan_in, fan_out, inp, i0, out, o0, n):
    """out[o0 + j, :n] = w[bo + j] + sum_i w[wo + i fan_out + j] inp[i0 + i, :n]: four output
    rows per pass over the inputs, so each input value is loaded once for four products."""
    blocked = fan_out - fan_out % 4
    for j in range(0, blocked, 4):
        r0, r1, r2, r3 = out[o0 + j], out[o0 + j + 1], out[o0 + j + 2], out[o0 + j + 3]
        b0, b1, b2, b3 = w[bo + j], w[bo + j + 1], w[bo + j + 2], w[bo + j + 3]
        for s in range(n):
            r0[s], r1[s], r2[s], r3[s] = b0, b1, b2, b3
        for i in range(fan_in):
            k = wo + i * fan_out + j
            w0, w1, w2, w3 = w[k], w[k + 1], w[k + 2], w[k + 3]
            x = inp[i0 + i]
            for s in range(n):
                v = x[s]
                r0[s] += w0 * v
                r1[s] += w1 * v
                r2[s] += w2 * v
                r3[s] += w3 * v
    for j in range(blocked, fan_out):
        row = out[o0 + j]
        bias = w[bo + j]
        for s in range(n):
            row[s] = bias
        for i in range(fan_in):
            weight = w[wo + i * fan_out + j]
            x = inp[i0 + i]
            for s in range(n):
                row[s] += weight * x[s]


@njit(**JIT)
def _weight_gradient(t, i0, fan_in, delta, fan_out, n, grad, wo, bo):
    """grad[wo + i fan_out + j] = sum_s t[i0 + i, s] delta[j, s] and grad[bo + j] = sum_s
    delta[j, s], over s < n; four outputs per pass over an input row."""
    blocked = fan_out - fan_out % 4
    for i in range(fan_in):
        x = t[i0 + i]
        for j in range(0, blocked, 4):
            d0, d1, d2, d3 = delta[j], delta[j + 1], delta[j + 2], delta[j + 3]
            a0 = a1 = a2 = a3 = ZERO
            for s in range(n):
                v = x[s]
                a0 += v * d0[s]
                a1 += v * d1[s]
                a2 += v * d2[s]
                a3 += v * d3[s]
            k = wo + i * fan_out + j
            grad[k], grad[k + 1], grad[k + 2], grad[k + 3] = a0, a1, a2, a3
        for j in range(blocked, fan_out):
            d = delta[j]
            total = ZERO
            for s in range(n):
                total += x[s] * d[s]
            grad[wo + i * fan_out + j] = total
    for j in range(fan_out):
        d = delta[j]
        total = ZERO
        for s in range(n):
            total += d[s]
        grad[bo + j] = total


@njit(**JIT)
def _input_gradient(w, wo, fan_in, fan_out, delta, delta_in, n):
    """delta_in[i, :n] = sum_j w[wo + i fan_out + j] delta[j, :n]; four rows per pass over
    the output rows."""
    blocked = fan_in - fan_in % 4
    for i in range(0, blocked, 4):
        r0, r1, r2, r3 = delta_in[i], delta_in[i + 1], delta_in[i + 2], delta_in[i + 3]
        for s in range(n):
            r0[s] = r1[s] = r2[s] = r3[s] = ZERO
        for j in range(fan_out):
            k = wo + i * fan_out + j
            w0, w1, w2, w3 = w[k], w[k + fan_out], w[k + 2 * fan_out], w[k + 3 * fan_out]
            d = delta[j]
            for s in range(n):
                v = d[s]
                r0[s] += w0 * v
                r1[s] += w1 * v
                r2[s] += w2 * v
                r3[s] += w3 * v
    for i in range(blocked, fan_in):
        row = delta_in[i]
        for s in range(n):
            row[s] = ZERO
        for j in range(fan_out):
            weight = w[wo + i * fan_out + j]
            d = delta[j]
            for s in range(n):
                row[s] += weight * d[s]


@njit(**JIT)
def _quantizer(rows, r0, width, n, q, r, layer, rule, training, levels, der, d0, track):
    """One pass of a layer's quantizer (``nets.quantize.Quantizer``) over rows[r0:r0 + width,
    :n], in place: update repetition r's range q[r, layer] = (low, high) by its ``rule`` (the
    moving average only when ``training``), then map each value to the nearest of ``levels`` + 1
    levels of the range; with ``track``, zero der[d0 + j, s] where the value lies outside the
    range (the straight-through gradient of the clamp)."""
    low, high = ZERO, ZERO  # the pass's range, widened to contain 0
    for j in range(width):
        row = rows[r0 + j]
        for s in range(n):
            low = min(low, row[s])
            high = max(high, row[s])
    if rule == BATCH_RANGE:
        q[r, layer, 0], q[r, layer, 1] = low, high
    elif training:
        rate = ONE - EMA_DECAY
        q[r, layer, 0] += rate * (low - q[r, layer, 0])
        q[r, layer, 1] += rate * (high - q[r, layer, 1])
    low, high = q[r, layer, 0], q[r, layer, 1]
    step = (high - low) / F32(levels)
    step = step if step > ZERO else ONE
    for j in range(width):
        row = rows[r0 + j]
        for s in range(n):
            a = row[s]
            if track and (a < low or a > high):
                der[d0 + j, s] = ZERO
            code = min(max(np.rint((min(max(a, low), high) - low) / step), ZERO), F32(levels))
            row[s] = low + code * step


@njit(**JIT)
def _log_partition(logits, classes, n, top, total):
    """Per sample s < n: top[s] = max_k logits[k, s], total[s] = sum_k e^(logits[k, s] -
    top[s]); loops over samples innermost, so they vectorise."""
    for s in range(n):
        top[s] = logits[0, s]
    for k in range(1, classes):
        row = logits[k]
        for s in range(n):
            top[s] = max(top[s], row[s])
    for s in range(n):
        total[s] = ZERO
    for k in range(classes):
        row = logits[k]
        for s in range(n):
            total[s] += exp(row[s] - top[s])


@njit(**JIT)
def _softmax(logits, classes, n, top, total):
    """logits[:classes, :n] -> the softmax over the class rows, in place."""
    _log_partition(logits, classes, n, top, total)
    for k in range(classes):
        row = logits[k]
        for s in range(n):
            row[s] = exp(row[s] - top[s]) / total[s]


@njit(**JIT)
def _add_noise(src, s0, dst, d0, width, n, key, samples, first, beta):
    """dst[d0 + j, :n] = src[s0 + j, :n] + beta z: z the counter normals of elements
    j * samples + first + s (``nets.counter_rng``)."""
    for j in range(width):
        a, b = src[s0 + j], dst[d0 + j]
        base = j * samples + first
        for s in range(n):
            b[s] = a[s] + beta * rng.normal(rng.element_bits(key, base + s))


@njit(**JIT)
def _effective_weights(p, widths, woff, goff, ew, norms):
    """Weight normalisation: ew = g v / ||v|| per output unit (a column of v), norms[wo + j]
    = ||v_j||; biases copied."""
    for layer in range(len(woff)):
        fan_in, fan_out = widths[layer], widths[layer + 1]
        wo, go = woff[layer], goff[layer]
        for j in range(fan_out):
            total = ZERO
            for i in range(fan_in):
                total += p[wo + i * fan_out + j] ** 2
            norm = np.sqrt(total)
            norms[wo + j] = norm
            scale = p[go + j] / norm
            for i in range(fan_in):
                ew[wo + i * fan_out + j] = scale * p[wo + i * fan_out + j]
        for k in range(wo + fan_in * fan_out, wo + fan_in * fan_out + fan_out):
            ew[k] = p[k]


@njit(**JIT)
def _weight_norm_backward(p, widths, woff, goff, norms, grad):
    """Turn grad's dL/dW (at the weights' offsets) into dL/dv, and write dL/dg at the gains:
    dL/dg_j = <dW_j, v_j> / ||v_j||, dL/dv_j = g_j / ||v_j|| (dW_j - <dW_j, v_j> v_j /
    ||v_j||^2)."""
    for layer in range(len(woff)):
        fan_in, fan_out = widths[layer], widths[layer + 1]
        wo, go = woff[layer], goff[layer]
        for j in range(fan_out):
            norm = norms[wo + j]
            dot = ZERO
            for i in range(fan_in):
                dot += grad[wo + i * fan_out + j] * p[wo + i * fan_out + j]
            scale, correction = p[go + j] / norm, dot / (norm * norm)
            grad[go + j] = dot / norm
            for i in range(fan_in):
                k = wo + i * fan_out + j
                grad[k] = scale * (grad[k] - correction * p[k])


@njit(**JIT)
def _parseval(p, widths, woff, rate, gram, cubic):
    """W <- (1 + b) W - b W (W^T W) per layer (``nets.regularisation.parseval_retraction_``)."""
    for layer in range(len(woff)):
        fan_in, fan_out = widths[layer], widths[layer + 1]
        wo = woff[layer]
        for a in range(fan_out):
            for c in range(fan_out):
                total = ZERO
                for i in range(fan_in):
                    total += p[wo + i * fan_out + a] * p[wo + i * fan_out + c]
                gram[a * fan_out + c] = total
        for i in range(fan_in):
            for c in range(fan_out):
                total = ZERO
                for a in range(fan_out):
                    total += p[wo + i * fan_out + a] * gram[a * fan_out + c]
                cubic[i * fan_out + c] = total
        for k in range(fan_in * fan_out):
            p[wo + k] = (ONE + rate) * p[wo + k] - rate * cubic[k]


@njit(**JIT)
def _welford(m, grad, decay):
    """Add one batch's weight gradients (entries with ``decay`` >= 0) to the running float64
    moments m = (count, mean[P], m2[P]) of one repetition (``train.gradients``)."""
    n_params = grad.shape[0]
    m[0] += 1.0
    for k in range(n_params):
        if decay[k] >= ZERO:
            g = np.float64(grad[k])
            d = g - m[1 + k]
            m[1 + k] += d / m[0]
            m[1 + n_params + k] += d * (g - m[1 + k])


@njit(**JIT)
def _update(p, m, v, grad, decay, lr, beta1, beta2, eps, step, optimizer):
    """One SGD or Adam step (torch's update order; Adam's ``step`` counts from 1); coupled
    weight decay adds lambda p to the gradient where ``decay`` holds lambda >= 0."""
    if optimizer == SGD:
        for k in range(p.shape[0]):
            p[k] -= lr * (grad[k] + max(decay[k], ZERO) * p[k])
        return
    step_size = F32(lr / (1.0 - beta1**step))  # torch computes these in double
    bc2_sqrt = F32(np.sqrt(1.0 - beta2**step))
    b1, b2 = F32(beta1), F32(beta2)
    for k in range(p.shape[0]):
        g = grad[k] + max(decay[k], ZERO) * p[k]
        m[k] += (ONE - b1) * (g - m[k])
        v[k] = v[k] * b2 + (ONE - b2) * g * g
        p[k] -= step_size * m[k] / (np.sqrt(v[k]) / bc2_sqrt + F32(eps))


@njit(**JIT)
def _train_repetition(r, params, opt_m, opt_v, decay, q, moments, x, y, order, seeds, epoch,
                      adam_steps, widths, acts, woff, boff, goff, hp, optimizer, batch_size,
                      levels, rules, accumulate):
    """One epoch of repetition r's mini-batch steps (see ``train_epoch``)."""
    layers = len(woff)
    hidden = layers - 1
    p = params[r]
    n_params = p.shape[0]
    ioff = np.zeros(layers + 1, np.int64)  # first row of layer l's input in ``t``
    max_width = 0
    for layer in range(layers):
        ioff[layer + 1] = ioff[layer] + widths[layer]
        max_width = max(max_width, widths[layer + 1])
    classes = widths[layers]
    t = np.empty((ioff[layers], batch_size), np.float32)  # x, then each hidden layer's T
    der = np.empty((ioff[layers], batch_size), np.float32)  # act'(z) x dropout x quantizer
    s_rows = np.empty((max_width, batch_size), np.float32)  # a noisy layer's S
    logits = np.empty((classes, batch_size), np.float32)
    delta = np.empty((max(max_width, classes), batch_size), np.float32)
    delta_in = np.empty((max(max_width, classes), batch_size), np.float32)
    labels = np.empty(batch_size, np.int64)
    row_max, row_sum = np.empty(batch_size, np.float32), np.empty(batch_size, np.float32)
    grad = np.empty(n_params, np.float32)
    weight_norm = goff[0] >= 0
    ew = np.empty(n_params, np.float32) if weight_norm else p
    norms = np.empty(n_params, np.float32)
    gram = np.empty(max_width * max_width, np.float32)
    cubic = np.empty(n_params, np.float32)
    lr, beta1, beta2, eps = F32(hp[HP_LR]), hp[HP_BETA1], hp[HP_BETA2], hp[HP_EPS]
    beta, dropout, parseval = F32(hp[HP_NOISE]), F32(hp[HP_DROPOUT]), F32(hp[HP_PARSEVAL])
    keep = ONE / (ONE - dropout)
    seed = seeds[r]
    n_train = order.shape[1]
    features = widths[0]
    for step in range((n_train + batch_size - 1) // batch_size):
        start = step * batch_size
        n = min(batch_size, n_train - start)
        for s in range(n):
            sample = order[r, start + s]
            labels[s] = y[sample]
            row = x[sample]
            for i in range(features):
                t[i, s] = row[i]
        if weight_norm:
            _effective_weights(p, widths, woff, goff, ew, norms)
        for layer in range(hidden):  # forward through the hidden layers
            fan_in, fan_out, o = widths[layer], widths[layer + 1], ioff[layer + 1]
            out, o0 = (s_rows, 0) if beta > ZERO else (t, o)
            _dense(ew, woff[layer], boff[layer], fan_in, fan_out, t, ioff[layer], out, o0, n)
            for j in range(fan_out):
                _activate(acts[layer], out[o0 + j], der[o + j], n, True)
            if dropout > ZERO:
                key = rng.stream(seed, epoch, step, layer + 1, DROPOUT)
                for j in range(fan_out):
                    a, d = out[o0 + j], der[o + j]
                    for s in range(n):
                        u = rng.uniform(rng.element_bits(key, j * n + s))
                        scale = keep if u >= dropout else ZERO
                        a[s] *= scale
                        d[s] *= scale
            if levels:
                _quantizer(out, o0, fan_out, n, q, r, layer, rules[layer], True, levels, der, o,
                           True)
            if beta > ZERO:
                _add_noise(out, 0, t, o, fan_out, n, rng.stream(seed, epoch, step, layer + 1,
                                                               NOISE), n, 0, beta)
        _dense(ew, woff[hidden], boff[hidden], widths[hidden], classes, t, ioff[hidden],
               logits, 0, n)
        # delta = dL/dlogits of the batch mean cross-entropy
        inv = ONE / F32(n)
        if levels:  # L = CE of log(max(q, floor)), q the quantized softmax p
            _softmax(logits, classes, n, row_max, row_sum)
            for k in range(classes):
                for s in range(n):
                    delta[k, s] = logits[k, s]  # p
                    delta_in[k, s] = ONE
            _quantizer(logits, 0, classes, n, q, r, hidden, rules[hidden], True, levels,
                       delta_in, 0, True)
            for s in range(n):
                label = labels[s]
                mass = ZERO
                for k in range(classes):
                    mass += max(logits[k, s], PROBABILITY_FLOOR)
                gp = ZERO  # sum_k p_k dL/dp_k
                for k in range(classes):
                    qk = logits[k, s]
                    g = ONE / mass
                    if k == label:
                        g -= ONE / max(qk, PROBABILITY_FLOOR)
                    g = g * delta_in[k, s] if qk >= PROBABILITY_FLOOR else ZERO
                    logits[k, s] = g
                    gp += g * delta[k, s]
                for k in range(classes):
                    delta[k, s] *= (logits[k, s] - gp) * inv
        else:
            _softmax(logits, classes, n, row_max, row_sum)
            for k in range(classes):
                p_row, d_row = logits[k], delta[k]
                for s in range(n):
                    d_row[s] = (p_row[s] - (ONE if labels[s] == k else ZERO)) * inv
        for layer in range(hidden, -1, -1):  # backward
            fan_in, fan_out = widths[layer], widths[layer + 1]
            wo, i0 = woff[layer], ioff[layer]
            _weight_gradient(t, i0, fan_in, delta, fan_out, n, grad, wo, boff[layer])
            if layer == 0:
                break
            _input_gradient(ew, wo, fan_in, fan_out, delta, delta_in, n)
            for i in range(fan_in):
                d_row, row, factor = delta[i], delta_in[i], der[i0 + i]
                for s in range(n):
                    d_row[s] = row[s] * factor[s]
        if weight_norm:
            _weight_norm_backward(p, widths, woff, goff, norms, grad)
        if accumulate:
            _welford(moments[r], grad, decay)
        _update(p, opt_m[r], opt_v[r], grad, decay, lr, beta1, beta2, eps,
                adam_steps + step + 1, optimizer)
        if parseval > ZERO:
            _parseval(p, widths, woff, parseval, gram, cubic)


@njit(**JIT)
def train_epoch(first, stop, params, opt_m, opt_v, decay, q, moments, x, y, order, seeds, epoch,
                adam_steps, widths, acts, woff, boff, goff, hp, optimizer, batch_size, levels,
                rules, accumulate):
    """One epoch of mini-batch updates of repetitions ``first`` to ``stop - 1`` (one thread's
    share: ``threads.over_repetitions``).

    params ``(R, P)`` float32, updated in place; opt_m, opt_v ``(R, P)`` Adam's moments;
    decay ``(P,)`` weight decay lambda at the weights, -1 at biases and gains; q ``(R, L, 2)``
    each quantized layer's range; moments ``(R, 1 + 2P)`` float64 gradient moments, added to
    when ``accumulate``; x ``(n, features)``, y ``(n,)`` the training samples; order ``(R, n)``
    each repetition's sample order this epoch; seeds ``(R,)`` uint64; epoch the counter of the
    noise and dropout draws; adam_steps the optimizer steps before this epoch; widths
    ``(L + 1,)``; acts ``(L - 1,)`` activation codes; woff, boff, goff ``(L,)`` offsets into a
    row of params (goff[0] < 0: no weight normalisation); hp float64 ``HP_*`` values; levels
    2^k - 1 for a k-bit net, 0 for a float net; rules ``(L,)`` quantizer range rules.
    """
    for r in range(first, stop):
        _train_repetition(r, params, opt_m, opt_v, decay, q, moments, x, y, order, seeds,
                          epoch, adam_steps, widths, acts, woff, boff, goff, hp, optimizer,
                          batch_size, levels, rules, accumulate)


@njit(**JIT)
def _evaluate_repetition(r, params, q, xt, y, split, seeds, epoch, widths, acts, woff, boff,
                         goff, hp, levels, rules, chunk, record, recorded, sums):
    """Repetition r's pass over all samples (see ``evaluate``)."""
    layers = len(woff)
    hidden = layers - 1
    p = params[r]
    n_samples = xt.shape[1]
    ioff = np.zeros(layers + 1, np.int64)
    max_width = 0
    for layer in range(layers):
        ioff[layer + 1] = ioff[layer] + widths[layer]
        max_width = max(max_width, widths[layer + 1])
    classes = widths[layers]
    t = np.empty((ioff[layers], chunk), np.float32)
    s_rows = np.empty((max_width, chunk), np.float32)
    logits = np.empty((classes, chunk), np.float32)
    top, total = np.empty(chunk, np.float32), np.empty(chunk, np.float32)
    loss, best = np.empty(chunk, np.float32), np.empty(chunk, np.int64)
    ew = p
    if goff[0] >= 0:
        ew = np.empty(p.shape[0], np.float32)
        _effective_weights(p, widths, woff, goff, ew, np.empty(p.shape[0], np.float32))
    beta = F32(hp[HP_NOISE])
    seed = seeds[r]
    features = widths[0]
    for c0 in range(0, n_samples, chunk):
        n = min(chunk, n_samples - c0)
        for i in range(features):
            src, dst = xt[i], t[i]
            for s in range(n):
                dst[s] = src[c0 + s]
        unit = 0
        for layer in range(hidden):
            fan_in, fan_out, o = widths[layer], widths[layer + 1], ioff[layer + 1]
            out, o0 = (s_rows, 0) if beta > ZERO else (t, o)
            _dense(ew, woff[layer], boff[layer], fan_in, fan_out, t, ioff[layer], out, o0, n)
            for j in range(fan_out):
                _activate(acts[layer], out[o0 + j], out[o0 + j], n, False)
            if levels:
                _quantizer(out, o0, fan_out, n, q, r, layer, rules[layer], False, levels, out, 0,
                           False)
            if record:
                for j in range(fan_out):
                    a = out[o0 + j]
                    for s in range(n):
                        recorded[r, c0 + s, unit + j] = a[s]
            unit += fan_out
            if beta > ZERO:  # element j * N + sample: the draw does not depend on the chunks
                _add_noise(out, 0, t, o, fan_out, n,
                           rng.stream(seed, epoch, EVALUATION, layer + 1, NOISE), n_samples, c0,
                           beta)
        _dense(ew, woff[hidden], boff[hidden], widths[hidden], classes, t, ioff[hidden], logits,
               0, n)
        if levels:  # the logits become log(max(q, floor)), q the quantized softmax
            _softmax(logits, classes, n, top, total)
            _quantizer(logits, 0, classes, n, q, r, hidden, rules[hidden], False, levels,
                       logits, 0, False)
            for k in range(classes):
                for s in range(n):
                    if record:
                        recorded[r, c0 + s, unit + k] = logits[k, s]
                    logits[k, s] = log(max(logits[k, s], PROBABILITY_FLOOR))
        _log_partition(logits, classes, n, top, total)
        for k in range(classes - 1, -1, -1):  # the first of equal maxima, as torch.argmax
            row = logits[k]
            for s in range(n):
                best[s] = k if row[s] == top[s] else best[s]
        for s in range(n):
            loss[s] = log(total[s]) + top[s]
        for k in range(classes):
            row = logits[k]
            for s in range(n):
                loss[s] -= row[s] if y[c0 + s] == k else ZERO
        # per split: sums over s of the loss and of the hits, masks instead of branches
        train_loss = test_loss = train_hits = test_hits = ZERO
        for s in range(n):
            test = F32(split[c0 + s])
            hit = ONE if best[s] == y[c0 + s] else ZERO
            train_loss += (ONE - test) * loss[s]
            test_loss += test * loss[s]
            train_hits += (ONE - test) * hit
            test_hits += test * hit
        sums[r, 0, 0] += train_loss
        sums[r, 0, 1] += test_loss
        sums[r, 1, 0] += train_hits
        sums[r, 1, 1] += test_hits
        if record and not levels:
            for k in range(classes):
                row = logits[k]
                for s in range(n):
                    recorded[r, c0 + s, unit + k] = exp(row[s] - top[s]) / total[s]


@njit(**JIT)
def evaluate(first, stop, params, q, xt, y, split, seeds, epoch, widths, acts, woff, boff, goff,
             hp, levels, rules, chunk, record, recorded, sums):
    """The nets of repetitions ``first`` to ``stop - 1`` on all samples.

    xt ``(features, N)`` the inputs transposed, y ``(N,)`` labels, split ``(N,)`` 0 (train) or
    1 (test); the rest as ``train_epoch``'s, q updated by batch-range quantizers. ``chunk``
    samples go through the layers at a time (a quantized net needs all N at once: its range is
    the pass's). sums ``(R, 2, 2)`` float64 gets the summed cross-entropy and correct count per
    split (zero it first); with ``record``, recorded ``(R, N, units)`` float32 gets every
    hidden layer's S (pre-noise) and the output's (quantized) softmax probabilities.
    """
    for r in range(first, stop):
        _evaluate_repetition(r, params, q, xt, y, split, seeds, epoch, widths, acts, woff, boff,
                             goff, hp, levels, rules, chunk, record, recorded, sums)


@njit(**JIT)
def epoch_orders(first, stop, seeds, epoch, n, orders):
    """orders ``(R, n)``: the mini-batch order of repetitions ``first`` to ``stop - 1``,
    ``train.shuffle.epoch_order``'s permutation (the stable argsort of 32-bit lowbias32 keys)
    computed without torch, by an LSD radix sort (four stable passes over the key's bytes)."""
    mask = np.uint64(0xFFFFFFFF)
    for r in range(first, stop):
        stream = _mix32((_mix32(seeds[r] & mask) ^ np.uint64(epoch)) & mask)
        keys = np.empty(n, np.uint32)
        for i in range(n):
            keys[i] = np.uint32(_mix32((stream + _mix32(np.uint64(i)) * np.uint64(0x9E3779B1))
                                       & mask))
        order, spare = np.arange(n), np.empty(n, np.int64)
        for shift in range(0, 32, 8):
            count = np.zeros(257, np.int64)
            for i in range(n):
                count[((keys[i] >> np.uint32(shift)) & np.uint32(255)) + 1] += 1
            for b in range(256):
                count[b + 1] += count[b]
            for i in range(n):
                k = order[i]
                b = (keys[k] >> np.uint32(shift)) & np.uint32(255)
                spare[count[b]] = k
                count[b] += 1
            order, spare = spare, order
        orders[r] = order


@njit(**JIT)
def _mix32(x):
    """lowbias32 (``train.shuffle._mix32``) on a uint64 holding 32 bits."""
    mask = np.uint64(0xFFFFFFFF)
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x7FEB352D)) & mask
    x = x ^ (x >> np.uint64(15))
    x = (x * np.uint64(0x846CA68B)) & mask
    return x ^ (x >> np.uint64(16))
