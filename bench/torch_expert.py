"""PyTorch written for speed, the peer a PyTorch expert would write (issues 13 and 22), beside
D2L's DataLoader loop in bench/peers.py: the whole split as one uint8 tensor, `randperm` and
`index_select` per batch (converted to float there, as jaxlin's data step does), `cross_entropy`,
foreach SGD, no DataLoader, and the test accuracy at the end of every epoch (as jaxlin's compiled
epoch evaluates). The same loop trains softmax regression (`nn.Linear`) and the book's MLP
(784-256-10, ReLU). Like every peer it reads the IDX files with numpy, never JAX; torch's number
of threads is left at its default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.common import read_split, timed_epochs


def _book_init(net):
    """The book's initialisation: every Linear's weights N(0, 0.01²), its biases zero."""
    from torch import nn

    for layer in net.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)
    return net


def _train_expert(source: Path, epochs: int, book: dict, make_net) -> dict:
    """make_net() -> the network (built after torch.manual_seed(0)), trained on the flattened u8
    split with the book's batch size and learning rate."""
    import torch
    import torch.nn.functional as F

    (train_x, train_y), (test_x, test_y) = read_split(source, "train"), read_split(source, "t10k")
    images, labels = (
        torch.from_numpy(train_x.reshape(len(train_x), -1).copy()),
        torch.from_numpy(train_y.astype(np.int64)),
    )
    test_images = torch.from_numpy(test_x.reshape(len(test_x), -1).astype(np.float32) / 255)
    test_labels = torch.from_numpy(test_y.astype(np.int64))
    torch.manual_seed(0)
    net = _book_init(make_net())
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
    threads = torch.get_num_threads()
    return {"epoch_s": times, "test_accuracy": accuracy[-1], "threads": threads, "note": f"{threads} torch threads"}


def torch_softmax_expert(source: Path, epochs: int, book: dict) -> dict:
    """Softmax regression: one `nn.Linear(784, 10)` on the flattened images."""
    from torch import nn

    return _train_expert(source, epochs, book, lambda: nn.Linear(784, 10))


def torch_mlp_expert(source: Path, epochs: int, book: dict) -> dict:
    """The book's MLP (D2L 4.3): Flatten, Linear(784, 256), ReLU, Linear(256, 10)."""
    from torch import nn

    return _train_expert(
        source, epochs, book, lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    )
