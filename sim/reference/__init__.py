"""An independent, tank-by-tank discrete-event reference model, built on SimPy.

It shares nothing with :mod:`sim.engine.simulate` but the scenario: each replication is a SimPy
``Environment``, one time unit a month; stored hulls are :class:`Hull` objects in one
:class:`HullStore` (a ``simpy.Store``) per (family, condition); the refurbishment plant is a
process that takes hulls off those stores down the priority list and ships each month's
repaired hulls through a timeout of the lead time; the active fleet is a ``simpy.Container``
per family. Every random event is a Bernoulli trial per hull or per active tank, from one
numpy ``Generator``: results agree with the engine in distribution, not draw for draw.

Within month ``t`` the processes run at fixed offsets (exact binary fractions):

- ``t + 0``: parts effects, degradation, losses (the ``front`` process): a hazard on the
  committed tanks (a share of each family's active fleet), or an imposed count;
- ``t + 1/4``: refurbishment starts (the ``plant`` process), no more than close the gap to
  the required fleet; donor hulls come from one pool, each stripped once;
- ``t + 1/2``: deliveries due this month (a batch started at ``s`` arrives at ``s + lead``);
- ``t + 3/4``: production (no more than the gap to the requirement);
- ``t + 13/16``: foreign supply;
- ``t + 7/8``: record, and check conservation family by family.
"""

from sim.reference.run import simulate_reference
from sim.reference.stores import draw_values, step_value

__all__ = ["draw_values", "simulate_reference", "step_value"]
