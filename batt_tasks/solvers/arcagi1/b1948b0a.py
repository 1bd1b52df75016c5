from batt_tasks.dsl import *


def solve(I):
    O = replace(I, SIX, TWO)
    return O
