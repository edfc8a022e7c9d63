"""Space simulation (空間シミュレーション): a city's traffic flown through Kukan, measured.

So far: :mod:`simulation.demand` (a scenario and the flights it asks for),
:mod:`simulation.flying` (a plan flown with its errors), :mod:`simulation.separation`
(losses of separation between flown tracks), :mod:`simulation.coarse_book` and
:mod:`simulation.coarse_run` (the arms that need no database).
"""
