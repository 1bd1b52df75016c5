from batt_tasks.dsl import *


def solve(I):
    x1 = shape(I)
    x2 = last(x1)
    x3 = halve(x2)
    x4 = tojvec(x3)
    x5 = vfrontier(x4)
    x6 = asindices(I)
    x7 = difference(x6, x5)
    O = fill(I, ZERO, x7)
    return O
