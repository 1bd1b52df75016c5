from batt_tasks.dsl import *


def solve(I):
    O = upscale(I, TWO)
    return O
