from batt_tasks.dsl import *


def solve(I):
    x1 = replace(I, FIVE, ZERO)
    O = downscale(x1, THREE)
    return O
