from batt_tasks.dsl import *


def solve(I):
    O = switch(I, FIVE, EIGHT)
    return O
