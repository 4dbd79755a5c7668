"""Fashion-MNIST through tensorflow-datasets, without TensorFlow, and device-resident batches."""
from jaxlin.data.device import batches, preprocess_images, to_device
from jaxlin.data.errors import DataError
from jaxlin.data.fashion_mnist import (
    FASHION_MNIST_LABELS, fashion_mnist_builder, load_fashion_mnist, text_labels,
)
from jaxlin.data.idx import read_idx, write_idx
