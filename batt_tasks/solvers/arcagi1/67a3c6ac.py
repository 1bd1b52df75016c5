from batt_tasks.dsl import *


def solve(I):
    O = vmirror(I)
    return O
