from batt_tasks.dsl import *


def solve(I):
    x1 = hmirror(I)
    O = vconcat(x1, I)
    return O
