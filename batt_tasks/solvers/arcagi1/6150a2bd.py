from batt_tasks.dsl import *


def solve(I):
    O = rot180(I)
    return O
