"""tensorflow-datasets' split syntax ("train[:90%]", "train[:1%]+test[-5:]"), read by tfds's own parser
(`ReadInstruction.from_spec(spec).to_absolute`, percentages rounded to the closest example as in tfds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import tensorflow_datasets as tfds

_ANY_SIZE = 10**15  # stands for a size not known yet: past any split's end, exact as a float


class _Refused(Exception):
    """Why a spec that tfds parsed cannot be read (raised from inside tfds's `to_absolute`)."""


@dataclasses.dataclass(frozen=True)
class _Size:
    """What `to_absolute` reads of a split: its number of examples. Shard slices are refused."""

    num_examples: int

    @property
    def shard_lengths(self) -> list[int]:
        raise _Refused("shard slices are not supported, they depend on how the files were written")


class _Sizes(dict):
    """split name -> _Size; tfds's `name in sizes` check of an unknown name says which name."""

    def __contains__(self, name: object) -> bool:
        if not super().__contains__(name):
            raise _Refused(f"there is no split {name!r}")
        return True


def _bad(spec: object, names: Iterable[str], reason: str) -> ValueError:
    return ValueError(
        f"Bad split {spec!r} ({reason}): split must be {' or '.join(map(repr, names))}, optionally "
        "sliced and joined with '+' as in tensorflow-datasets, e.g. 'train[:90%]+test[-5:]'."
    )


def _absolute(spec: object, num_examples: Mapping[str, int]) -> list[tuple[str, int, int]]:
    if not isinstance(spec, str):
        raise _bad(spec, num_examples, "not a string")
    try:
        instruction = tfds.core.ReadInstruction.from_spec(spec)
    except (ValueError, TypeError, AssertionError, NotImplementedError):
        raise _bad(
            spec, num_examples, "not name or name[start:stop] with whole numbers or percentages within ±100%"
        ) from None
    try:
        absolute = instruction.to_absolute(_Sizes({name: _Size(n) for name, n in num_examples.items()}))
    except _Refused as why:
        raise _bad(spec, num_examples, str(why)) from None
    except ValueError:  # tfds: "Requested slice [...] incompatible with n examples."
        sizes = ", ".join(f"{name!r} has {n}" for name, n in num_examples.items())
        raise _bad(spec, num_examples, f"a slice reaches past the end of its split ({sizes})") from None
    return [(a.splitname, a.from_ or 0, num_examples[a.splitname] if a.to is None else a.to) for a in absolute]


def split_names(spec: str, names: Iterable[str]) -> list[str]:
    """The splits that `spec` reads from, each once, in order; checks the syntax and the names only
    (the sizes are not known yet). Raises ValueError for a bad spec."""
    return list(dict.fromkeys(name for name, _, _ in _absolute(spec, dict.fromkeys(names, _ANY_SIZE))))


def read_instructions(spec: str, num_examples: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """The slices (split name, start, stop), absolute and non-negative, that `spec` joins, in order.

    Args:
      spec: tfds's split syntax, e.g. "train", "train[:50000]", "test[-5:]", "train[10%:20%]",
        "train+test", "train[:1%]+test[-5:]", "all" (every split).
      num_examples: split name -> its number of examples, e.g. {"train": 60000, "test": 10000}.

    Raises:
      ValueError: `spec` is malformed, names an unknown split, reaches past a split's end, or has an
        empty slice (e.g. "train[5:5]").
    """
    slices = _absolute(spec, num_examples)
    for name, start, stop in slices:
        if stop <= start:
            raise _bad(spec, num_examples, f"its slice {start}:{stop} of {name!r} is empty")
    return slices
