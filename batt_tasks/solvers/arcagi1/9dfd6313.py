from batt_tasks.dsl import *


def solve(I):
    O = dmirror(I)
    return O
