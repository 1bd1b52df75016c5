from batt_tasks.dsl import *


def solve(I):
    x1 = hsplit(I, THREE)
    O = first(x1)
    return O
