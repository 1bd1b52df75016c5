from batt_tasks.dsl import *


def solve(I):
    O = hmirror(I)
    return O
