"""A character-level RNN, written the classic way, trained with diffc's gradient.

The loss below is the forward half of the well-known minimal character RNN: its
states live in dicts keyed by time step (`hs[t - 1]`, `hs[-1] = np.copy(hprev)`),
one-hot inputs are written element by element (`xs[t][inputs[t]] = 1`), and the
loss is accumulated with `+=`. diffc differentiates it as written; its gradient is
checked against the hand-written backward pass such code usually carries, and
then used to train the network for a few hundred steps with Adagrad.

Run:  python examples/char_rnn.py
"""
import time

import numpy as np

import diffc

TEXT = ("the quick brown fox jumps over the lazy dog. " * 8 +
        "pack my box with five dozen liquor jugs. " * 8)
CHARS = sorted(set(TEXT))
VOCAB = len(CHARS)
INDEX = {c: i for i, c in enumerate(CHARS)}
HIDDEN = 32
SEQ = 25


def loss_fn(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """Cross-entropy of the next character over one sequence."""
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((VOCAB, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    return loss


def hand_written_gradient(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """The backward pass as it is usually written by hand, for comparison."""
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    for t in range(len(inputs)):
        xs[t] = np.zeros((VOCAB, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        y = Why @ hs[t] + by
        ps[t] = np.exp(y) / np.sum(np.exp(y))
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return dWxh, dWhh, dWhy, dbh, dby


def main():
    rng = np.random.default_rng(0)
    params = [rng.normal(0, 0.01, (HIDDEN, VOCAB)), rng.normal(0, 0.01, (HIDDEN, HIDDEN)),
              rng.normal(0, 0.01, (VOCAB, HIDDEN)), np.zeros((HIDDEN, 1)), np.zeros((VOCAB, 1))]
    grad = diffc.value_and_grad(loss_fn, wrt=(3, 4, 5, 6, 7))

    data = [INDEX[c] for c in TEXT]
    inputs, targets = data[:SEQ], data[1:SEQ + 1]
    hprev = rng.normal(0, 0.1, (HIDDEN, 1))
    _, ours = grad(inputs, targets, hprev, *params)
    theirs = hand_written_gradient(inputs, targets, hprev, *params)
    worst = max(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-12) for a, b in zip(ours, theirs))
    print(f"diffc's gradient vs the hand-written backward pass: largest relative difference "
          f"{worst:.1e}")
    assert worst < 1e-10

    memory = [np.zeros_like(p) for p in params]
    hprev = np.zeros((HIDDEN, 1))
    t0 = time.perf_counter()
    smooth = -np.log(1.0 / VOCAB) * SEQ
    p = 0
    for step in range(301):
        if p + SEQ + 1 >= len(data):
            p, hprev = 0, np.zeros((HIDDEN, 1))
        inputs, targets = data[p:p + SEQ], data[p + 1:p + SEQ + 1]
        loss, grads = grad(inputs, targets, hprev, *params)
        smooth = smooth * 0.95 + loss * 0.05
        for prm, g, mem in zip(params, grads, memory):
            mem += g * g
            prm -= 0.1 * g / np.sqrt(mem + 1e-8)
        hprev = np.tanh(params[0][:, [inputs[-1]]] + params[1] @ hprev + params[3])
        p += SEQ
        if step % 100 == 0:
            print(f"step {step:4d}  smoothed loss {smooth:7.3f}")
    print(f"300 training steps in {time.perf_counter() - t0:.1f} s")
    print("\nThe generated derivative code:  diffc show examples/char_rnn.py:loss_fn")


if __name__ == "__main__":
    main()
