from batt_tasks.dsl import *


def solve(I):
    O = replace(I, SEVEN, FIVE)
    return O
