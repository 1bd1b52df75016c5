from batt_tasks.dsl import *


def solve(I):
    x1 = vmirror(I)
    O = hconcat(I, x1)
    return O
