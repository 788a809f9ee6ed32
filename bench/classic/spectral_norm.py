# spectral-norm: the largest singular value of an infinite matrix, by power
# iteration.
#
# A translation into Python of this suite's memo and Lua ports
# (spectral_norm.memo, spectral_norm.lua), written for this suite; the
# program follows pyperformance's spectral_norm benchmark (no code from it is
# copied here). The row functions take an (i, u) tuple, as in the ports.
# math.sqrt is C's sqrt, as Lua's math.sqrt (correctly rounded).

import math

N = 400


def eval_A(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def eval_times_u(func, u):
    return [func((i, u)) for i in range(len(u))]


def eval_AtA_times_u(u):
    return eval_times_u(part_At_times_u, eval_times_u(part_A_times_u, u))


def part_A_times_u(i_u):
    i, u = i_u
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += eval_A(i, j) * u_j
    return partial_sum


def part_At_times_u(i_u):
    i, u = i_u
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += eval_A(j, i) * u_j
    return partial_sum


def main(n):
    u = [1] * n
    for _ in range(10):
        v = eval_AtA_times_u(u)
        u = eval_AtA_times_u(v)
    vBv = 0
    vv = 0
    for ue, ve in zip(u, v):
        vBv += ue * ve
        vv += ve * ve
    print(f"norm {int(math.sqrt(vBv / vv) * 1e9)}")


main(N)
