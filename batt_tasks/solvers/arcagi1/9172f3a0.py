from batt_tasks.dsl import *


def solve(I):
    O = upscale(I, THREE)
    return O
