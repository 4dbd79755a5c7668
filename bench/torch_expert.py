"""PyTorch written for speed, the peer a PyTorch expert would write (issue 13), beside D2L's
DataLoader loop in bench/peers.py: the whole split as one uint8 tensor, `randperm` and
`index_select` per batch (converted to float there, as jaxlin's data step does), `nn.Linear` with
`cross_entropy`, foreach SGD, no DataLoader, and the test accuracy at the end of every epoch (as
jaxlin's compiled epoch evaluates). Like every peer it reads the IDX files with numpy, never JAX.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.common import read_split, timed_epochs


def torch_softmax_expert(source: Path, epochs: int, book: dict) -> dict:
    import torch
    import torch.nn.functional as F
    from torch import nn

    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    images, labels = (
        torch.from_numpy(train_x.reshape(len(train_x), -1).copy()),
        torch.from_numpy(train_y.astype(np.int64)),
    )
    test_images = torch.from_numpy(test_x.reshape(len(test_x), -1).astype(np.float32) / 255)
    test_labels = torch.from_numpy(test_y.astype(np.int64))
    torch.manual_seed(0)
    net = nn.Linear(784, 10)
    nn.init.normal_(net.weight, std=0.01)
    nn.init.zeros_(net.bias)
    trainer = torch.optim.SGD(net.parameters(), lr=book["learning_rate"], foreach=True)
    batch_size, accuracy = book["batch_size"], []

    def run_epoch():
        order = torch.randperm(len(labels))
        for start in range(0, len(labels), batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(net(images.index_select(0, idx).float().div_(255)), labels.index_select(0, idx))
            trainer.zero_grad(set_to_none=True)
            loss.backward()
            trainer.step()
        with torch.no_grad():
            accuracy.append(float((net(test_images).argmax(1) == test_labels).float().mean()))

    times = timed_epochs(epochs, run_epoch)
    return {"epoch_s": times, "test_accuracy": accuracy[-1]}
