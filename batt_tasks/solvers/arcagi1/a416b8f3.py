from batt_tasks.dsl import *


def solve(I):
    O = hconcat(I, I)
    return O
