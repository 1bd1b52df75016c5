from batt_tasks.dsl import *


def solve(I):
    O = crop(I, ORIGIN, TWO_BY_TWO)
    return O
