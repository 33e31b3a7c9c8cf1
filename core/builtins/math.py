"""Arithmetic nodes, handy for wiring parameters and for trying the editor."""

from __future__ import annotations

import statistics

from ..decorator import node


@node(name="math.add", category="math", icon="fa5s.plus")
def add(a: float, b: float = 0.0) -> float:
    """a + b"""
    return a + b


@node(name="math.multiply", category="math", icon="fa5s.times")
def multiply(a: float, b: float = 1.0) -> float:
    """a * b"""
    return a * b


@node(name="math.power", category="math", icon="fa5s.superscript")
def power(base: float, exponent: float = 2.0) -> float:
    """base ** exponent"""
    return base**exponent


@node(name="math.sum", category="math", icon="fa5s.calculator", many=["values"])
def total(values: list[float]) -> float:
    """The sum of every connected value (fan-in)."""
    return sum(values)


@node(name="math.mean", category="math", icon="fa5s.balance-scale", many=["values"])
def mean(values: list[float]) -> float:
    """The mean of every connected value (fan-in)."""
    return statistics.fmean(values)
