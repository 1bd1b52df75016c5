from batt_tasks.dsl import *


def solve(I):
    O = rot270(I)
    return O
