"""Simulations on real instances: the Christchurch replay of a crisis (issue 5).

``fireline simulate christchurch`` and ``bench/replay.py`` start a hub and member
instances as processes on loopback and replay a seeded day of uploads against them.
"""

from fireline.simulate.christchurch import Progress, Result, simulate_christchurch
from fireline.simulate.scenario import ReplayParams, Scenario, build_scenario

__all__ = [
    "Progress",
    "ReplayParams",
    "Result",
    "Scenario",
    "build_scenario",
    "simulate_christchurch",
]
