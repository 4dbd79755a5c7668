"""The one exception the data layer raises for anything wrong with the data or where it is."""


class DataError(ValueError):
    """Fashion-MNIST could not be found, read or prepared; the message says how to fix it."""
