"""The session funnel's steps (metrics.md, "Funnels"), for the Python that writes or reads funnel marts.

The models take theirs from the macro funnel_steps() (macros/marts/funnel.sql);
tests_py/test_macros.py checks that the two lists agree. The test oracle keeps
its own list on purpose: it must not share code with what it checks.
"""

from __future__ import annotations

# The steps after a session starts, in order; a session reaches step k when it has events of steps 1..k.
STEPS: tuple[str, ...] = ("product_view", "add_to_cart", "begin_checkout", "purchase")

# The funnel marts' session counts, each a subset of the one before.
SESSION_COUNTS: tuple[str, ...] = ("sessions", *(f"{step}_sessions" for step in STEPS))
