"""Helpers that every layer may use (argument checks, atomic files, file locks, lazy imports).
Private: import the module you need; nothing here is part of jaxlin's API."""

__all__: list[str] = []
