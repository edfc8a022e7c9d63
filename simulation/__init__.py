"""Space simulation (空間シミュレーション): a city's traffic flown through Kukan, measured.

So far: :mod:`simulation.separation`, losses of separation between flown tracks.
"""
